// Elementwise kernels: binary arithmetic with broadcasting, unary maps, affine maps and fills.
//
// Binary ops work on up to 4 dimensions: the engine right-aligns both operands to the output's
// rank, pads to 4 with leading 1s and passes per-operand strides with 0 on broadcast axes.
//   same shape:  z[i] = op(a[i], b[i])
//   broadcast:   z[i0,i1,i2,i3] = op(a[i·sa], b[i·sb])
//   affine:      y[i] = scale·x[i] + shift        (scalar ops: negate, add/multiply a scalar)
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Activations.Kernels.Tensor;

/// <summary>Four integers: the dimensions or strides of a rank-≤4 broadcast.</summary>
public readonly record struct Int4(int D0, int D1, int D2, int D3)
{
    public int Product => D0 * D1 * D2 * D3;
}

/// <summary>A binary arithmetic op with its scalar reference.</summary>
public interface IBinaryOp
{
    static abstract float Apply(float a, float b);
    static abstract double Reference(double a, double b);
}

public readonly struct AddOp : IBinaryOp
{
    public static float Apply(float a, float b) => a + b;
    public static double Reference(double a, double b) => a + b;
}

public readonly struct SubOp : IBinaryOp
{
    public static float Apply(float a, float b) => a - b;
    public static double Reference(double a, double b) => a - b;
}

public readonly struct MulOp : IBinaryOp
{
    public static float Apply(float a, float b) => a * b;
    public static double Reference(double a, double b) => a * b;
}

public readonly struct DivOp : IBinaryOp
{
    public static float Apply(float a, float b) => a / b;
    public static double Reference(double a, double b) => a / b;
}

/// <summary>A unary map with its scalar reference.</summary>
public interface IUnaryOp
{
    static abstract float Apply(float x);
    static abstract double Reference(double x);
}

public readonly struct ExpOp : IUnaryOp
{
    public static float Apply(float x) => XMath.Exp(x);
    public static double Reference(double x) => Math.Exp(x);
}

public readonly struct LogOp : IUnaryOp
{
    public static float Apply(float x) => XMath.Log(x);
    public static double Reference(double x) => Math.Log(x);
}

public readonly struct SqrtOp : IUnaryOp
{
    public static float Apply(float x) => XMath.Sqrt(x);
    public static double Reference(double x) => Math.Sqrt(x);
}

public readonly struct SquareOp : IUnaryOp
{
    public static float Apply(float x) => x * x;
    public static double Reference(double x) => x * x;
}

/// <summary>Binary kernels of op <typeparamref name="TOp"/>.</summary>
public sealed class BinaryKernels<TOp> : IKernelFamily<BinaryKernels<TOp>> where TOp : struct, IBinaryOp
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, SpecializedValue<int>> _same;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Int4, Int4, Int4, SpecializedValue<int>> _broadcast;

    private BinaryKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _same = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, SpecializedValue<int>>(SameShapeKernel);
        _broadcast = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Int4, Int4, Int4, SpecializedValue<int>>(BroadcastKernel);
    }

    public static BinaryKernels<TOp> Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    // Every kernel below: one element per work-item where oneItem is 1 (compiled without a loop,
    // see LaunchPlan.OneItem), else a grid-stride loop.

    private static void SameShapeKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> z, int n, SpecializedValue<int> oneItem)
    {
        if (oneItem.Value != 0)
        {
            int j = Grid.GlobalIndex.X;
            if (j < n) z[j] = TOp.Apply(a[j], b[j]);
            return;
        }
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
            z[i] = TOp.Apply(a[i], b[i]);
    }

    private static void BroadcastKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> z, Int4 dims, Int4 sa, Int4 sb,
        SpecializedValue<int> oneItem)
    {
        int n = dims.Product;
        if (oneItem.Value != 0)
        {
            int j = Grid.GlobalIndex.X;
            if (j < n) BroadcastAt(j, a, b, z, dims, sa, sb);
            return;
        }
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
            BroadcastAt(i, a, b, z, dims, sa, sb);
    }

    private static void BroadcastAt(int i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> z, Int4 dims, Int4 sa, Int4 sb)
    {
        int r = i;
        int i3 = r % dims.D3; r /= dims.D3;
        int i2 = r % dims.D2; r /= dims.D2;
        int i1 = r % dims.D1;
        int i0 = r / dims.D1;
        int ia = i0 * sa.D0 + i1 * sa.D1 + i2 * sa.D2 + i3 * sa.D3;
        int ib = i0 * sb.D0 + i1 * sb.D1 + i2 * sb.D2 + i3 * sb.D3;
        z[i] = TOp.Apply(a[ia], b[ib]);
    }

    /// <summary>z = op(a, b) for equal lengths (z may alias a or b).</summary>
    public void SameShape(ArrayView<float> a, ArrayView<float> b, ArrayView<float> z)
    {
        int n = (int)z.Length;
        if (n > 0) _same(_plan.GridStride(n), a, b, z, n, _plan.OneItem);
    }

    /// <summary>z = op(a, b) with broadcasting; strides are 0 on broadcast axes.</summary>
    public void Broadcast(ArrayView<float> a, ArrayView<float> b, ArrayView<float> z, Int4 dims, Int4 sa, Int4 sb)
    {
        int n = dims.Product;
        if (n > 0) _broadcast(_plan.GridStride(n), a, b, z, dims, sa, sb, _plan.OneItem);
    }
}

/// <summary>Unary map kernels of op <typeparamref name="TOp"/>.</summary>
public sealed class UnaryKernels<TOp> : IKernelFamily<UnaryKernels<TOp>> where TOp : struct, IUnaryOp
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, SpecializedValue<int>> _map;

    private UnaryKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _map = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, SpecializedValue<int>>(MapKernel);
    }

    public static UnaryKernels<TOp> Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    private static void MapKernel(ArrayView<float> x, ArrayView<float> y, int n, SpecializedValue<int> oneItem)
    {
        if (oneItem.Value != 0)
        {
            int j = Grid.GlobalIndex.X;
            if (j < n) y[j] = TOp.Apply(x[j]);
            return;
        }
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
            y[i] = TOp.Apply(x[i]);
    }

    /// <summary>y = op(x).</summary>
    public void Map(ArrayView<float> x, ArrayView<float> y)
    {
        int n = (int)x.Length;
        if (n > 0) _map(_plan.GridStride(n), x, y, n, _plan.OneItem);
    }
}

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
    private static void AffineKernel(ArrayView<float> x, ArrayView<float> y, float scale, float shift, int n, SpecializedValue<int> oneItem)
    {
        if (oneItem.Value != 0)
        {
            int j = Grid.GlobalIndex.X;
            if (j < n) y[j] = scale * x[j] + shift;
            return;
        }
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
            y[i] = scale * x[i] + shift;
    }

    private static void FillKernel(ArrayView<float> y, float value, int n, SpecializedValue<int> oneItem)
    {
        if (oneItem.Value != 0)
        {
            int j = Grid.GlobalIndex.X;
            if (j < n) y[j] = value;
            return;
        }
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
            y[i] = value;
    }

    /// <summary>y += a·x (gradient accumulation).</summary>
    private static void AxpyKernel(ArrayView<float> x, ArrayView<float> y, float a, int n, SpecializedValue<int> oneItem)
    {
        if (oneItem.Value != 0)
        {
            int j = Grid.GlobalIndex.X;
            if (j < n) y[j] += a * x[j];
            return;
        }
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
            y[i] += a * x[i];
    }

    /// <summary>
    /// y = max(y, lo) in place; NaN stays NaN (so that a fault is still seen). NaN is recognised
    /// from its bits: PoCL turned the float comparison alone into a max that replaced NaN by lo.
    /// </summary>
    private static void ClampMinKernel(ArrayView<float> y, float lo, int n)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
        {
            float v = y[i];
            bool nan = (Interop.FloatAsInt(v) & 0x7FFFFFFF) > 0x7F800000;
            if (!nan && v < lo) y[i] = lo;
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
