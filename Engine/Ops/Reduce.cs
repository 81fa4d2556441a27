// Reductions: sum and mean over axes, max and argmax along one axis.
using Activations.Kernels.Tensor;

namespace Activations.Engine;

public sealed partial class Tensor
{
    /// <summary>Sum over <paramref name="axes"/> (all when empty). ∂x = g broadcast back.</summary>
    public Tensor Sum(int[]? axes = null, bool keepDims = false) => SumScaled(axes, keepDims, mean: false);

    /// <summary>Mean over <paramref name="axes"/> (all when empty). ∂x = g / count broadcast back.</summary>
    public Tensor Mean(int[]? axes = null, bool keepDims = false) => SumScaled(axes, keepDims, mean: true);

    public Tensor Sum(int axis, bool keepDims = false) => Sum([axis], keepDims);
    public Tensor Mean(int axis, bool keepDims = false) => Mean([axis], keepDims);

    private Tensor SumScaled(int[]? axes, bool keepDims, bool mean)
    {
        ThrowIfDisposed();
        var list = NormaliseAxes(axes);
        int count = 1;
        foreach (var a in list) count *= Shape[a];
        // The mean of no elements is NaN (0/0), as in NumPy and PyTorch, not 0.
        float scale = mean ? (count == 0 ? float.NaN : 1f / count) : 1f;
        var kept = ReduceSum(this, list, scale);
        var outDims = new List<int>();
        for (int i = 0; i < Rank; i++)
            if (!list.Contains(i)) outDims.Add(Shape[i]);
            else if (keepDims) outDims.Add(1);
        var y = kept.ViewAs(new Shape([.. outDims]));
        kept.Dispose();
        var x = this;
        var keptShape = KeptShape(list);
        return y.Record(mean ? "mean" : "sum", [this], g =>
        {
            // Broadcast g (in keep-dims shape) back over the reduced axes, scaled.
            var gk = g.ViewAs(keptShape);
            using var zeros = Full(g.Device, x.Shape, 0f);
            var gx = Binary<AddOp>(zeros, gk);
            gk.Dispose();
            if (scale != 1f) g.Device.Kernels.Get<AffineKernels>().Affine(gx.View, gx.View, scale, 0f);
            x.AccumulateGrad(gx, owned: true);
        });
    }

    private List<int> NormaliseAxes(int[]? axes)
    {
        var list = new List<int>();
        if (axes is null || axes.Length == 0)
        {
            for (int i = 0; i < Rank; i++) list.Add(i);
            return list;
        }
        foreach (var a in axes)
        {
            int n = Shape.Axis(a);
            if (list.Contains(n)) throw new ArgumentException($"axis {a} given twice for {Describe()}");
            list.Add(n);
        }
        list.Sort();
        return list;
    }

    private Shape KeptShape(List<int> axes)
    {
        var dims = Shape.ToArray();
        foreach (var a in axes) dims[a] = 1;
        return new Shape(dims);
    }

    /// <summary>Sums over the given (sorted) axes, keeping them as size 1; scale applied once. Not recorded.</summary>
    internal static Tensor ReduceSum(Tensor x, List<int> axes, float scale)
    {
        var kernels = x.Device.Kernels.Get<ReductionKernels>();
        var dims = x.Shape.ToArray();
        Tensor current = x;
        bool ownsCurrent = false;
        // Reduce one axis at a time, largest axis index first; the last pass applies the scale.
        for (int k = axes.Count - 1; k >= 0; k--)
        {
            int axis = axes[k];
            int outer = 1, inner = 1;
            for (int i = 0; i < axis; i++) outer *= dims[i];
            for (int i = axis + 1; i < dims.Length; i++) inner *= dims[i];
            int red = dims[axis];
            float s = k == 0 ? scale : 1f;
            dims[axis] = 1;
            var next = new Tensor(x.Device, new Shape(dims));
            int chunks = kernels.ChunksFor(outer, red, inner);
            if (chunks > 1)
            {
                using var partial = new Tensor(x.Device, new Shape(outer, chunks, inner));
                kernels.Sum(current.View, partial.View, outer, red, inner, chunks, 1f);
                kernels.Sum(partial.View, next.View, outer, chunks, inner, 1, s);
            }
            else
            {
                kernels.Sum(current.View, next.View, outer, red, inner, 1, s);
            }
            if (ownsCurrent) current.Dispose();
            current = next;
            ownsCurrent = true;
        }
        if (!ownsCurrent)
        {
            current = x.Copy();
            if (scale != 1f) x.Device.Kernels.Get<AffineKernels>().Affine(current.View, current.View, scale, 0f);
        }
        return current;
    }

    /// <summary>Max along <paramref name="axis"/> and the index of its first occurrence (NaN propagates).</summary>
    public (Tensor Values, int[] Indices) MaxWithIndices(int axis, bool keepDims = false)
    {
        var (values, idx) = MaxDevice(axis, keepDims);
        return (values, idx.ToArray());
    }

    /// <summary>Max along <paramref name="axis"/>. ∂x = g at the argmax, 0 elsewhere.</summary>
    public Tensor Max(int axis, bool keepDims = false) => MaxDevice(axis, keepDims).Values;

    /// <summary>Index of the max along <paramref name="axis"/>, as float values (exact below 2²⁴).</summary>
    public Tensor ArgMax(int axis, bool keepDims = false)
    {
        var (values, idx) = MaxDevice(axis, keepDims);
        var f = Array.ConvertAll(idx.ToArray(), i => (float)i);
        var t = new Tensor(Device, values.Shape); // not FromArray: it reads shape [] as "infer [n]"
        t.CopyFrom(f);
        values.Dispose();
        return t.Named("argmax");
    }

    /// <summary>The max values and the argmax indices, which the values own (backward reads them on the device).</summary>
    private (Tensor Values, IntBuffer Indices) MaxDevice(int axis, bool keepDims)
    {
        ThrowIfDisposed();
        int a = Shape.Axis(axis);
        int red = Shape[a];
        if (red == 0) throw new ArgumentException($"max over empty axis {axis} of {Describe()}");
        int outer = Shape.Product(0, a), inner = Shape.Product(a + 1, Rank);
        var dims = new List<int>();
        for (int i = 0; i < Rank; i++)
            if (i != a) dims.Add(Shape[i]);
            else if (keepDims) dims.Add(1);
        var y = new Tensor(Device, new Shape([.. dims]));
        var idx = y.Own(new IntBuffer(Device, outer * inner));
        var kernels = Device.Kernels.Get<ReductionKernels>();
        kernels.Max(View, y.View, idx.View, outer, red, inner);
        var x = this;
        y.Record("max", [this], g => x.AccumulateGrad(gx => kernels.MaxBackward(g.View, idx.View, gx, outer, red, inner)), idx);
        return (y, idx);
    }
}
