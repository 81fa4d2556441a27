// Reductions: sum and mean over axes, max and argmax along one axis.
using Activations.Kernels.Tensor;
using ILGPU.Runtime;

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
        var y = new Tensor(Device, new Shape([.. outDims]), kept.Storage);
        kept.Dispose();
        var x = this;
        var keptShape = KeptShape(list);
        return y.Record(mean ? "mean" : "sum", [this], g =>
        {
            // Broadcast g (in keep-dims shape) back over the reduced axes, scaled.
            var gk = new Tensor(g.Device, keptShape, g.Storage);
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
        var host = new int[idx.Length];
        if (idx.Length > 0) idx.View.CopyToCPU(host.AsSpan());
        idx.Dispose();
        return (values, host);
    }

    /// <summary>Max along <paramref name="axis"/>. ∂x = g at the argmax, 0 elsewhere.</summary>
    public Tensor Max(int axis, bool keepDims = false)
    {
        var (values, idx) = MaxDevice(axis, keepDims);
        idx.Dispose();
        return values;
    }

    /// <summary>Index of the max along <paramref name="axis"/>, as float values (exact below 2²⁴).</summary>
    public Tensor ArgMax(int axis, bool keepDims = false)
    {
        var (values, idx) = MaxDevice(axis, keepDims);
        var host = new int[idx.Length];
        if (idx.Length > 0) idx.View.CopyToCPU(host.AsSpan());
        idx.Dispose();
        var f = Array.ConvertAll(host, i => (float)i);
        var t = new Tensor(Device, values.Shape); // not FromArray: it reads shape [] as "infer [n]"
        t.CopyFrom(f);
        values.Dispose();
        return t.Named("argmax");
    }

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
        var idx = new IntBuffer(Device, outer * inner);
        Device.Kernels.Get<ReductionKernels>().Max(View, y.View, idx.View, outer, red, inner);
        var x = this;
        int[]? hostIdx = null;
        y.Record("max", [this], g =>
        {
            hostIdx ??= idx.IsDisposed ? null : idx.ToArray();
            if (hostIdx is null) throw new InvalidOperationException("max: argmax indices were released before backward");
            var gHost = g.ToArray();
            var gx = new float[x.Length];
            for (int o = 0; o < outer; o++)
                for (int k = 0; k < inner; k++)
                    gx[(o * red + hostIdx[o * inner + k]) * inner + k] = gHost[o * inner + k];
            x.AccumulateGrad(FromArray(g.Device, gx, x.Shape.ToArray()), owned: true);
        });
        if (y.RequiresGrad) hostIdx = idx.ToArray();
        return (y, idx);
    }
}

/// <summary>A small device buffer of int32 (argmax indices, labels).</summary>
public sealed class IntBuffer : IDisposable
{
    private readonly ILGPU.Runtime.MemoryBuffer1D<int, ILGPU.Stride1D.Dense> _buffer;
    private readonly int _offset;
    private readonly IntBuffer? _parent; // set on views made by Slice: they own no memory
    public int Length { get; }
    public bool IsDisposed => _disposed || (_parent?.IsDisposed ?? false);
    private bool _disposed;

    private readonly Device? _device; // set on buffers that own memory: counted in Device.LiveIntBuffers

    public IntBuffer(Device device, int length)
    {
        Length = length;
        _buffer = device.Accelerator.Allocate1D<int>(Math.Max(1, length));
        _device = device;
        Interlocked.Increment(ref device.LiveIntBufferCount);
    }

    private IntBuffer(IntBuffer parent, int offset, int length)
    {
        _buffer = parent._buffer;
        _parent = parent;
        _offset = parent._offset + offset;
        Length = length;
    }

    public ILGPU.ArrayView<int> View => _buffer.View.SubView(_offset, Length);

    /// <summary>
    /// Elements [<paramref name="start"/>, start + <paramref name="count"/>) as a view (no copy): the
    /// labels of one batch cut from an epoch's upload. The view owns no memory and is valid while
    /// this buffer is; disposing it frees nothing.
    /// </summary>
    public IntBuffer Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start > Length - count)
            throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {start + count}) is outside an int buffer of {Length}");
        return new IntBuffer(this, start, count);
    }

    /// <summary>A buffer holding <paramref name="values"/> (class labels, for instance).</summary>
    public static IntBuffer FromArray(Device device, ReadOnlySpan<int> values)
    {
        var b = new IntBuffer(device, values.Length);
        b.CopyFrom(values);
        return b;
    }

    /// <summary>Overwrites the contents from the host (reuse one buffer for every batch of labels).</summary>
    public void CopyFrom(ReadOnlySpan<int> values)
    {
        if (values.Length != Length)
            throw new ArgumentException($"cannot copy {values.Length} values into an int buffer of {Length}");
        if (Length > 0) View.CopyFromCPU(values.ToArray());
    }

    public int[] ToArray()
    {
        var a = new int[Length];
        if (Length > 0) View.CopyToCPU(a.AsSpan());
        return a;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_parent is null)
        {
            _buffer.Dispose();
            if (_device is not null) Interlocked.Decrement(ref _device.LiveIntBufferCount);
        }
    }
}
