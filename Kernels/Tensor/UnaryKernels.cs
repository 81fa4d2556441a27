// Unary map kernels, specialised by an op struct (UnaryOps.cs).
//   y[i] = op(x[i])
using ILGPU;
using ILGPU.Runtime;

namespace Activations.Kernels.Tensor;

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

    private static void MapKernel(ArrayView<float> x, ArrayView<float> y, int n, SpecializedValue<int> oneItem) =>
        GridLoop.For(n, oneItem, new MapAt(x, y));

    private readonly record struct MapAt(ArrayView<float> X, ArrayView<float> Y) : IGridBody
    {
        public void Invoke(int i) => Y[i] = TOp.Apply(X[i]);
    }

    /// <summary>y = op(x).</summary>
    public void Map(ArrayView<float> x, ArrayView<float> y)
    {
        int n = (int)x.Length;
        if (n > 0) _map(_plan.GridStride(n), x, y, n, _plan.OneItem);
    }
}
