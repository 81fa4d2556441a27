// Binary arithmetic kernels, same shape or broadcast, specialised by an op struct (BinaryOps.cs).
//
// Broadcasts work on up to 4 dimensions: the engine right-aligns both operands to the output's
// rank, pads to 4 with leading 1s and passes per-operand strides with 0 on broadcast axes.
//   same shape:  z[i] = op(a[i], b[i])
//   broadcast:   z[i0,i1,i2,i3] = op(a[i·sa], b[i·sb])
using ILGPU;
using ILGPU.Runtime;

namespace Activations.Kernels.Tensor;

/// <summary>Binary kernels of op <typeparamref name="TOp"/>.</summary>
public sealed class BinaryKernels<TOp> : IKernelFamily<BinaryKernels<TOp>> where TOp : struct, IBinaryOp
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, SpecializedValue<int>> _same;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Vec4i, Vec4i, Vec4i, SpecializedValue<int>> _broadcast;

    private BinaryKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _same = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, SpecializedValue<int>>(SameShapeKernel);
        _broadcast = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Vec4i, Vec4i, Vec4i, SpecializedValue<int>>(BroadcastKernel);
    }

    public static BinaryKernels<TOp> Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    private static void SameShapeKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> z, int n, SpecializedValue<int> oneItem) =>
        GridLoop.For(n, oneItem, new SameShapeAt(a, b, z));

    private readonly record struct SameShapeAt(ArrayView<float> A, ArrayView<float> B, ArrayView<float> Z) : IGridBody
    {
        public void Invoke(int i) => Z[i] = TOp.Apply(A[i], B[i]);
    }

    private static void BroadcastKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> z, Vec4i dims, Vec4i sa, Vec4i sb,
        SpecializedValue<int> oneItem) =>
        GridLoop.For(dims.Product, oneItem, new BroadcastAt(a, b, z, dims, sa, sb));

    private readonly record struct BroadcastAt(ArrayView<float> A, ArrayView<float> B, ArrayView<float> Z, Vec4i Dims, Vec4i Sa, Vec4i Sb)
        : IGridBody
    {
        public void Invoke(int i)
        {
            int r = i;
            int i3 = r % Dims.D3; r /= Dims.D3;
            int i2 = r % Dims.D2; r /= Dims.D2;
            int i1 = r % Dims.D1;
            int i0 = r / Dims.D1;
            int ia = i0 * Sa.D0 + i1 * Sa.D1 + i2 * Sa.D2 + i3 * Sa.D3;
            int ib = i0 * Sb.D0 + i1 * Sb.D1 + i2 * Sb.D2 + i3 * Sb.D3;
            Z[i] = TOp.Apply(A[ia], B[ib]);
        }
    }

    /// <summary>z = op(a, b) for equal lengths (z may alias a or b).</summary>
    public void SameShape(ArrayView<float> a, ArrayView<float> b, ArrayView<float> z)
    {
        int n = (int)z.Length;
        if (n > 0) _same(_plan.GridStride(n), a, b, z, n, _plan.OneItem);
    }

    /// <summary>z = op(a, b) with broadcasting; strides are 0 on broadcast axes.</summary>
    public void Broadcast(ArrayView<float> a, ArrayView<float> b, ArrayView<float> z, Vec4i dims, Vec4i sa, Vec4i sb)
    {
        int n = dims.Product;
        if (n > 0) _broadcast(_plan.GridStride(n), a, b, z, dims, sa, sb, _plan.OneItem);
    }
}
