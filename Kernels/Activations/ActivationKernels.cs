// One generic kernel body per direction, specialised per activation struct.
//
// Shapes: x, y, dy, dx are flat views of n elements. α lives on the device (so a learnable α
// never travels to the host): length 1 (one per layer) or C (one per channel). The element i
// belongs to channel (i / inner) % C, i.e. for NCHW data inner = H·W, for (N, features) data
// inner = 1 and C = features.
//
//   forward:      y[i]  = f(x[i]; α[c])
//   backward:     dx[i] = dy[i] · f'(x[i], y[i]; α[c])
//   α-gradient:   g[i]  = dy[i] · ∂f/∂α(x[i], y[i]; α[c])   (then summed per channel by the caller)
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace Activations.Kernels.Activations;

/// <summary>The forward/backward kernels of activation <typeparamref name="T"/> on one accelerator.</summary>
public sealed class ActivationKernels<T> : IKernelFamily<ActivationKernels<T>> where T : struct, IActivation
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>, SpecializedValue<int>> _forward;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>> _derivative;
    private readonly Action<KernelConfig, ArrayView<Vec8f>, ArrayView<Vec8f>, ArrayView<float>, int> _forwardWide;
    private readonly Action<KernelConfig, ArrayView<Vec8f>, ArrayView<Vec8f>, ArrayView<Vec8f>, ArrayView<Vec8f>, ArrayView<float>, int, SpecializedValue<int>> _derivativeWide;

    private ActivationKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _forward = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>, SpecializedValue<int>>(ForwardKernel);
        _derivative = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>>(DerivativeKernel);
        _forwardWide = accelerator.LoadStreamKernel<ArrayView<Vec8f>, ArrayView<Vec8f>, ArrayView<float>, int>(ForwardWideKernel);
        _derivativeWide = accelerator.LoadStreamKernel<ArrayView<Vec8f>, ArrayView<Vec8f>, ArrayView<Vec8f>, ArrayView<Vec8f>, ArrayView<float>, int, SpecializedValue<int>>(DerivativeWideKernel);
    }

    public static ActivationKernels<T> Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    /// <summary>
    /// The α index of element i. perLayer (a compile-time constant) is 1 for one α per layer: then
    /// no integer division is compiled at all (vectorised, a division per element is a scalar loop).
    /// </summary>
    private static int Channel(int i, int inner, int channels, SpecializedValue<int> perLayer) =>
        perLayer.Value != 0 ? 0 : i / inner % channels;

    // Each kernel: one element per work-item where oneItem is 1 (compiled without a loop, see
    // LaunchPlan.OneItem), else a grid-stride loop; both call the same element function.

    /// <summary>y = f(x; α).</summary>
    private static void ForwardKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<float> alpha, int n, int inner, int channels,
        SpecializedValue<int> oneItem, SpecializedValue<int> perLayer)
    {
        if (oneItem.Value != 0)
        {
            int j = Grid.GlobalIndex.X;
            if (j < n) y[j] = T.Forward(x[j], alpha[Channel(j, inner, channels, perLayer)]);
            return;
        }
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
            y[i] = T.Forward(x[i], alpha[Channel(i, inner, channels, perLayer)]);
    }

    /// <summary>
    /// d = dy · f'(x, y; α) (the input gradient), or d = dy · ∂f/∂α(x, y; α) elementwise where
    /// ofAlpha is 1 (the α-gradient, summed per channel by the caller). ofAlpha is a compile-time
    /// constant: each use compiles to its own kernel with only its derivative in it.
    /// </summary>
    private static void DerivativeKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> d,
        ArrayView<float> alpha, int n, int inner, int channels, SpecializedValue<int> oneItem,
        SpecializedValue<int> perLayer, SpecializedValue<int> ofAlpha)
    {
        if (oneItem.Value != 0)
        {
            int j = Grid.GlobalIndex.X;
            if (j < n) d[j] = DerivativeAt(j, x, y, dy, alpha, inner, channels, perLayer, ofAlpha.Value);
            return;
        }
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
            d[i] = DerivativeAt(i, x, y, dy, alpha, inner, channels, perLayer, ofAlpha.Value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float DerivativeAt(int i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> alpha,
        int inner, int channels, SpecializedValue<int> perLayer, int ofAlpha)
    {
        return dy[i] * Slope(x[i], y[i], alpha[Channel(i, inner, channels, perLayer)], ofAlpha);
    }

    // On the CPU accelerator each view access costs a trip through ILGPU's accessor (see Vec8f), so
    // there each access moves 8 floats (one α per layer only; the few elements past the last multiple
    // of 8 go through the kernels above). Measured 2026-11-29, 16M elements, runs alternated on busy
    // cores: ReLU forward+backward 109–145 M elem/s through the kernels above, 194–257 through these.

    /// <summary>y = f(x; α) for 8 elements per access.</summary>
    private static void ForwardWideKernel(ArrayView<Vec8f> x, ArrayView<Vec8f> y, ArrayView<float> alpha, int n8)
    {
        float a = alpha[0];
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n8; i += stride)
        {
            Vec8f v = x[i], r;
            r.V0 = T.Forward(v.V0, a); r.V1 = T.Forward(v.V1, a); r.V2 = T.Forward(v.V2, a); r.V3 = T.Forward(v.V3, a);
            r.V4 = T.Forward(v.V4, a); r.V5 = T.Forward(v.V5, a); r.V6 = T.Forward(v.V6, a); r.V7 = T.Forward(v.V7, a);
            y[i] = r;
        }
    }

    /// <summary>As <see cref="DerivativeKernel"/> for 8 elements per access.</summary>
    private static void DerivativeWideKernel(ArrayView<Vec8f> x, ArrayView<Vec8f> y, ArrayView<Vec8f> dy, ArrayView<Vec8f> d,
        ArrayView<float> alpha, int n8, SpecializedValue<int> ofAlpha)
    {
        float a = alpha[0];
        int f = ofAlpha.Value;
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n8; i += stride)
        {
            Vec8f u = x[i], v = y[i], g = dy[i], r;
            r.V0 = g.V0 * Slope(u.V0, v.V0, a, f); r.V1 = g.V1 * Slope(u.V1, v.V1, a, f);
            r.V2 = g.V2 * Slope(u.V2, v.V2, a, f); r.V3 = g.V3 * Slope(u.V3, v.V3, a, f);
            r.V4 = g.V4 * Slope(u.V4, v.V4, a, f); r.V5 = g.V5 * Slope(u.V5, v.V5, a, f);
            r.V6 = g.V6 * Slope(u.V6, v.V6, a, f); r.V7 = g.V7 * Slope(u.V7, v.V7, a, f);
            d[i] = r;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Slope(float x, float y, float a, int ofAlpha) => ofAlpha != 0 ? T.ParamGrad(x, y, a) : T.Backward(x, y, a);

    /// <summary>How many leading elements the wide kernels take: a multiple of 8 on the CPU accelerator with one α, else 0.</summary>
    private int WidePart(int n, ArrayView<float> alpha) => _plan.Kind == BackendKind.Cpu && alpha.Length == 1 ? n / 8 * 8 : 0;

    private static SpecializedValue<int> PerLayer(ArrayView<float> alpha) => SpecializedValue.New(alpha.Length == 1 ? 1 : 0);

    public void Forward(ArrayView<float> x, ArrayView<float> y, ArrayView<float> alpha, int inner = 1)
    {
        int n = (int)x.Length, w = WidePart(n, alpha);
        if (w > 0) _forwardWide(_plan.GridStride(w / 8), x.SubView(0, w).Cast<Vec8f>(), y.SubView(0, w).Cast<Vec8f>(), alpha, w / 8);
        if (n > w) _forward(_plan.GridStride(n - w), x.SubView(w), y.SubView(w), alpha, n - w, inner, (int)alpha.Length, _plan.OneItem, PerLayer(alpha));
    }

    public void Backward(ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx,
        ArrayView<float> alpha, int inner = 1)
    {
        Derivative(x, y, dy, dx, alpha, inner, 0);
    }

    public void ParamGrad(ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> g,
        ArrayView<float> alpha, int inner = 1)
    {
        Derivative(x, y, dy, g, alpha, inner, 1);
    }

    private void Derivative(ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> d,
        ArrayView<float> alpha, int inner, int ofAlpha)
    {
        int n = (int)x.Length, w = WidePart(n, alpha);
        var which = SpecializedValue.New(ofAlpha);
        if (w > 0)
            _derivativeWide(_plan.GridStride(w / 8), x.SubView(0, w).Cast<Vec8f>(), y.SubView(0, w).Cast<Vec8f>(),
                dy.SubView(0, w).Cast<Vec8f>(), d.SubView(0, w).Cast<Vec8f>(), alpha, w / 8, which);
        if (n > w)
            _derivative(_plan.GridStride(n - w), x.SubView(w), y.SubView(w), dy.SubView(w), d.SubView(w), alpha, n - w, inner,
                (int)alpha.Length, _plan.OneItem, PerLayer(alpha), which);
    }
}
