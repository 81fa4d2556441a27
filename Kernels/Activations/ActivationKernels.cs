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
using ILGPU;
using ILGPU.Runtime;

namespace Activations.Kernels.Activations;

/// <summary>The forward/backward kernels of activation <typeparamref name="T"/> on one accelerator.</summary>
public sealed class ActivationKernels<T> : IKernelFamily<ActivationKernels<T>> where T : struct, IActivation
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> _forward;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> _backward;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> _paramGrad;

    private ActivationKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _forward = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(ForwardKernel);
        _backward = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(BackwardKernel);
        _paramGrad = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(ParamGradKernel);
    }

    public static ActivationKernels<T> Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    private static int Channel(int i, int inner, int channels) => channels == 1 ? 0 : i / inner % channels;

    /// <summary>y = f(x; α).</summary>
    private static void ForwardKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<float> alpha, int n, int inner, int channels)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
            y[i] = T.Forward(x[i], alpha[Channel(i, inner, channels)]);
    }

    /// <summary>dx = dy · f'(x, y; α).</summary>
    private static void BackwardKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx,
        ArrayView<float> alpha, int n, int inner, int channels)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
            dx[i] = dy[i] * T.Backward(x[i], y[i], alpha[Channel(i, inner, channels)]);
    }

    /// <summary>g = dy · ∂f/∂α(x, y; α), elementwise.</summary>
    private static void ParamGradKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> g,
        ArrayView<float> alpha, int n, int inner, int channels)
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
            g[i] = dy[i] * T.ParamGrad(x[i], y[i], alpha[Channel(i, inner, channels)]);
    }

    public void Forward(ArrayView<float> x, ArrayView<float> y, ArrayView<float> alpha, int inner = 1)
    {
        int n = (int)x.Length;
        if (n == 0) return;
        _forward(_plan.GridStride(n), x, y, alpha, n, inner, (int)alpha.Length);
    }

    public void Backward(ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx,
        ArrayView<float> alpha, int inner = 1)
    {
        int n = (int)x.Length;
        if (n == 0) return;
        _backward(_plan.GridStride(n), x, y, dy, dx, alpha, n, inner, (int)alpha.Length);
    }

    public void ParamGrad(ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> g,
        ArrayView<float> alpha, int inner = 1)
    {
        int n = (int)x.Length;
        if (n == 0) return;
        _paramGrad(_plan.GridStride(n), x, y, dy, g, alpha, n, inner, (int)alpha.Length);
    }
}
