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

    private ActivationKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _forward = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>, SpecializedValue<int>>(ForwardKernel);
        _derivative = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>>(DerivativeKernel);
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
        float a = alpha[Channel(i, inner, channels, perLayer)];
        return dy[i] * (ofAlpha != 0 ? T.ParamGrad(x[i], y[i], a) : T.Backward(x[i], y[i], a));
    }

    private static SpecializedValue<int> PerLayer(ArrayView<float> alpha) => SpecializedValue.New(alpha.Length == 1 ? 1 : 0);

    public void Forward(ArrayView<float> x, ArrayView<float> y, ArrayView<float> alpha, int inner = 1)
    {
        int n = (int)x.Length;
        if (n == 0) return;
        _forward(_plan.GridStride(n), x, y, alpha, n, inner, (int)alpha.Length, _plan.OneItem, PerLayer(alpha));
    }

    public void Backward(ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx,
        ArrayView<float> alpha, int inner = 1)
    {
        int n = (int)x.Length;
        if (n == 0) return;
        _derivative(_plan.GridStride(n), x, y, dy, dx, alpha, n, inner, (int)alpha.Length, _plan.OneItem, PerLayer(alpha), SpecializedValue.New(0));
    }

    public void ParamGrad(ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> g,
        ArrayView<float> alpha, int inner = 1)
    {
        int n = (int)x.Length;
        if (n == 0) return;
        _derivative(_plan.GridStride(n), x, y, dy, g, alpha, n, inner, (int)alpha.Length, _plan.OneItem, PerLayer(alpha), SpecializedValue.New(1));
    }
}
