// Dropout with a seeded mask computed on the device from a counter hash, so the same seed drops
// the same elements on every accelerator and nothing random travels from the host.
//
//   keep[i] = Uniform24(seed, i) ≥ p;   mask[i] = keep ? 1/(1 − p) : 0;   y = x·mask;   dx = dy·mask
using ILGPU;
using ILGPU.Runtime;

namespace Activations.Kernels.Tensor;

public sealed class DropoutKernels : IKernelFamily<DropoutKernels>
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ulong, float, int> _forward;

    private DropoutKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _forward = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ulong, float, int>(ForwardKernel);
    }

    public static DropoutKernels Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    private static void ForwardKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<float> mask, ulong seed, float p, int n) =>
        GridLoop.For(n, new ForwardAt(x, y, mask, seed, p, 1f / (1f - p)));

    private readonly record struct ForwardAt(ArrayView<float> X, ArrayView<float> Y, ArrayView<float> Mask, ulong Seed, float P, float Scale)
        : IGridBody
    {
        public void Invoke(int i)
        {
            float m = CounterHash.Uniform24(Seed, (ulong)i) >= P ? Scale : 0f;
            Mask[i] = m;
            Y[i] = X[i] * m;
        }
    }

    /// <summary>y = x·mask with mask drawn from (seed, index); 0 ≤ p &lt; 1.</summary>
    public void Forward(ArrayView<float> x, ArrayView<float> y, ArrayView<float> mask, ulong seed, float p)
    {
        int n = (int)x.Length;
        if (n > 0) _forward(_plan.GridStride(n), x, y, mask, seed, p, n);
    }

    /// <summary>Scalar reference of the mask.</summary>
    public static float MaskReference(ulong seed, int i, float p) => CounterHash.Uniform24(seed, (ulong)i) >= p ? 1f / (1f - p) : 0f;
}
