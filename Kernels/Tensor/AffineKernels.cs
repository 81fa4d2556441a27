// Affine maps, fills, gradient accumulation and the lower clamp of a projection step.
//   affine:  y[i] = scale·x[i] + shift        (scalar ops: negate, add/multiply a scalar)
//   fill:    y[i] = value
//   axpy:    y[i] += a·x[i]
//   clamp:   y[i] = max(y[i], lo), NaN kept
using ILGPU;
using ILGPU.Runtime;

namespace Activations.Kernels.Tensor;

/// <summary>Affine maps and fills.</summary>
public sealed class AffineKernels : IKernelFamily<AffineKernels>
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, float, float, int, SpecializedValue<int>> _affine;
    private readonly Action<KernelConfig, ArrayView<float>, float, int, SpecializedValue<int>> _fill;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, float, int, SpecializedValue<int>> _axpy;
    private readonly Action<KernelConfig, ArrayView<float>, float, int> _clampMin;

    private AffineKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _affine = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, float, float, int, SpecializedValue<int>>(AffineKernel);
        _fill = accelerator.LoadStreamKernel<ArrayView<float>, float, int, SpecializedValue<int>>(FillKernel);
        _axpy = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, float, int, SpecializedValue<int>>(AxpyKernel);
        _clampMin = accelerator.LoadStreamKernel<ArrayView<float>, float, int>(ClampMinKernel);
    }

    public static AffineKernels Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    /// <summary>y = scale·x + shift.</summary>
    private static void AffineKernel(ArrayView<float> x, ArrayView<float> y, float scale, float shift, int n, SpecializedValue<int> oneItem) =>
        GridLoop.For(n, oneItem, new AffineAt(x, y, scale, shift));

    private readonly record struct AffineAt(ArrayView<float> X, ArrayView<float> Y, float Scale, float Shift) : IGridBody
    {
        public void Invoke(int i) => Y[i] = Scale * X[i] + Shift;
    }

    private static void FillKernel(ArrayView<float> y, float value, int n, SpecializedValue<int> oneItem) =>
        GridLoop.For(n, oneItem, new FillAt(y, value));

    private readonly record struct FillAt(ArrayView<float> Y, float Value) : IGridBody
    {
        public void Invoke(int i) => Y[i] = Value;
    }

    /// <summary>y += a·x (gradient accumulation).</summary>
    private static void AxpyKernel(ArrayView<float> x, ArrayView<float> y, float a, int n, SpecializedValue<int> oneItem) =>
        GridLoop.For(n, oneItem, new AxpyAt(x, y, a));

    private readonly record struct AxpyAt(ArrayView<float> X, ArrayView<float> Y, float A) : IGridBody
    {
        public void Invoke(int i) => Y[i] += A * X[i];
    }

    /// <summary>y = max(y, lo) in place; NaN stays NaN (so that a fault is still seen).</summary>
    private static void ClampMinKernel(ArrayView<float> y, float lo, int n) => GridLoop.For(n, new ClampMinAt(y, lo));

    /// <summary>NaN is recognised from its bits: PoCL turned the float comparison alone into a max that replaced NaN by lo.</summary>
    private readonly record struct ClampMinAt(ArrayView<float> Y, float Lo) : IGridBody
    {
        public void Invoke(int i)
        {
            float v = Y[i];
            bool nan = (Interop.FloatAsInt(v) & 0x7FFFFFFF) > 0x7F800000;
            if (!nan && v < Lo) Y[i] = Lo;
        }
    }

    /// <summary>Scalar reference of ClampMin.</summary>
    public static float ClampMinReference(float y, float lo) => y < lo ? lo : y;

    /// <summary>y = max(y, lo) in place (a projection after an optimizer step); NaN is left as it is.</summary>
    public void ClampMin(ArrayView<float> y, float lo)
    {
        int n = (int)y.Length;
        if (n > 0) _clampMin(_plan.GridStride(n), y, lo, n);
    }

    public void Affine(ArrayView<float> x, ArrayView<float> y, float scale, float shift)
    {
        int n = (int)x.Length;
        if (n > 0) _affine(_plan.GridStride(n), x, y, scale, shift, n, _plan.OneItem);
    }

    public void Fill(ArrayView<float> y, float value)
    {
        int n = (int)y.Length;
        if (n > 0) _fill(_plan.GridStride(n), y, value, n, _plan.OneItem);
    }

    public void Axpy(ArrayView<float> x, ArrayView<float> y, float a)
    {
        int n = (int)x.Length;
        if (n > 0) _axpy(_plan.GridStride(n), x, y, a, n, _plan.OneItem);
    }
}
