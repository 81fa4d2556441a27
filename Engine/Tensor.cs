// A float32 tensor on an accelerator: shape, contiguous storage, and its place in the autograd graph.
//
// Every op records its parents and a backward closure written in the same method as its forward
// (see Ops/*.cs). Backward() orders the graph iteratively and walks it in reverse, accumulating
// gradients (a value used twice just works). Reshape returns a view sharing the storage.
using ILGPU;
using ILGPU.Runtime;
using Activations.Engine.Autograd;
using Activations.Kernels.Tensor;

namespace Activations.Engine;

/// <summary>Reference-counted device storage shared by a tensor and its reshaped views.</summary>
internal sealed class Storage
{
    private int _refs = 1;
    public Device Device { get; }
    public MemoryBuffer1D<float, Stride1D.Dense> Buffer { get; }
    public long Length { get; }

    public Storage(Device device, long length)
    {
        Device = device;
        Length = length;
        Buffer = device.Pool.Rent(length);
    }

    public ArrayView<float> View => Buffer.View.SubView(0, Length);
    public void AddRef() => Interlocked.Increment(ref _refs);

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0) Device.Pool.Return(Buffer, Length);
    }
}

public sealed partial class Tensor : IDisposable
{
    private readonly Storage _storage;
    private readonly long _offset; // first element of this tensor in _storage (non-zero only for Slice views)
    private bool _disposed;
    private static long _nextId;

    public Device Device { get; }
    public Shape Shape { get; }
    public int Length => Shape.Length;
    public int Rank => Shape.Rank;

    /// <summary>A unique id, for graph export and debugging.</summary>
    public long Id { get; } = Interlocked.Increment(ref _nextId);

    /// <summary>The op that produced this tensor ("leaf" for tensors made from data).</summary>
    public string Op { get; private set; } = "leaf";

    /// <summary>An optional name ("fc1.weight"), shown in errors and graph exports.</summary>
    public string? Name { get; set; }

    /// <summary>Whether gradients flow to this tensor. Set on parameters; ops set it on their outputs.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>The accumulated gradient (leaves keep it until <see cref="ZeroGrad"/>).</summary>
    public Tensor? Grad { get; internal set; }

    /// <summary>Keep this tensor's gradient after Backward even though it is not a leaf.</summary>
    public bool RetainGrad { get; set; }

    /// <summary>Exempt from disposal by the enclosing <see cref="TensorScope"/>.</summary>
    public bool KeepAlive { get; set; }

    internal Tensor[] Parents { get; private set; } = [];

    /// <summary>The inputs of this op, in order (empty for leaves and for ops recorded under NoGrad).</summary>
    public IReadOnlyList<Tensor> Inputs => Parents;

    /// <summary>
    /// What this op's backward reads (inputs, its own output, masks: Tensors; argmax indices:
    /// IntBuffers), as declared where the op is recorded; shown by <see cref="Autograd.GraphExport"/>.
    /// </summary>
    public IReadOnlyList<object> SavedForBackward { get; private set; } = [];

    // Buffers only this tensor's backward needs (pooling indices, dropout masks): freed with it.
    private List<IDisposable>? _owned;

    /// <summary>Ties <paramref name="resource"/>'s lifetime to this tensor's.</summary>
    internal T Own<T>(T resource) where T : IDisposable
    {
        (_owned ??= []).Add(resource);
        if (resource is Tensor t) t.KeepAlive = true; // freed by this tensor, not by a scope
        return resource;
    }
    internal Action<Tensor>? BackwardFn { get; private set; }

    public bool IsLeaf => BackwardFn is null;
    public bool IsDisposed => _disposed;

    internal Tensor(Device device, Shape shape, Storage? shareWith = null, long offset = 0)
    {
        device.ThrowIfDisposed();
        Device = device;
        Shape = shape;
        _offset = offset;
        if (shareWith is null)
        {
            _storage = new Storage(device, shape.Length);
        }
        else
        {
            shareWith.AddRef();
            _storage = shareWith;
        }
        TensorScope.Register(this);
    }

    /// <summary>The device memory of this tensor (throws if disposed).</summary>
    public ArrayView<float> View
    {
        get
        {
            ThrowIfDisposed();
            return _offset == 0 && Shape.Length == _storage.Length ? _storage.View : _storage.View.SubView(_offset, Shape.Length);
        }
    }

    /// <summary>Where this tensor starts in its storage (views made by <see cref="Slice"/>).</summary>
    internal long Offset => _offset;

    /// <summary>
    /// This tensor's elements (same storage, same offset) under <paramref name="shape"/>, which must
    /// have as many elements; not recorded. Every re-view goes through here, so none drops the offset.
    /// </summary>
    internal Tensor ViewAs(Shape shape)
    {
        ThrowIfDisposed();
        if (shape.Length != Length)
            throw new ArgumentException($"cannot view {Describe()} ({Length} elements) as {shape} ({shape.Length} elements)");
        return new Tensor(Device, shape, _storage, _offset);
    }

    internal void ThrowIfDisposed()
    {
        if (_disposed)
            throw new ObjectDisposedException(Describe(), $"tensor {Describe()} was disposed and cannot be used again");
        Device.ThrowIfDisposed();
    }

    /// <summary>"fc1.weight [128, 784]" or "matmul#42 [64, 128]".</summary>
    public string Describe() => $"{Name ?? $"{Op}#{Id}"} {Shape}";

    public override string ToString() => $"Tensor({Describe()}, {Device.Key})";

    // ---- autograd ----

    /// <summary>
    /// Records <paramref name="backward"/> for this op output when grad mode is on and any parent
    /// requires grad. The closure receives the gradient of this tensor; <paramref name="saved"/> names
    /// the tensors it reads (for graph export only: the closure holds them either way).
    /// </summary>
    internal Tensor Record(string op, Tensor[] parents, Action<Tensor> backward, params object[] saved)
    {
        Op = op;
        if (!GradMode.IsEnabled || !parents.Any(p => p.RequiresGrad)) return this;
        Parents = parents;
        SavedForBackward = saved;
        BackwardFn = backward;
        RequiresGrad = true;
        return this;
    }

    /// <summary>Names the op without recording a backward (non-differentiable outputs).</summary>
    internal Tensor Named(string op)
    {
        Op = op;
        return this;
    }

    /// <summary>Adds the gradient that <paramref name="write"/> puts into a new tensor of this shape (nothing runs where no gradient is wanted).</summary>
    internal void AccumulateGrad(Action<ArrayView<float>> write)
    {
        if (!RequiresGrad) return;
        var g = new Tensor(Device, Shape);
        write(g.View);
        AccumulateGrad(g, owned: true);
    }

    /// <summary>Adds <paramref name="scale"/>·<paramref name="g"/> to this tensor's gradient; an owned g is scaled in place and handed over.</summary>
    internal void AccumulateScaledGrad(Tensor g, float scale, bool owned)
    {
        var affine = Device.Kernels.Get<AffineKernels>();
        if (!owned)
        {
            AccumulateGrad(gx => affine.Affine(g.View, gx, scale, 0f));
            return;
        }
        if (RequiresGrad) affine.Affine(g.View, g.View, scale, 0f);
        AccumulateGrad(g, owned: true);
    }

    /// <summary>
    /// Adds <paramref name="g"/> to this tensor's gradient. With <paramref name="owned"/> the caller
    /// hands <paramref name="g"/> over (it may become the gradient itself); otherwise it is copied.
    /// </summary>
    internal void AccumulateGrad(Tensor g, bool owned)
    {
        if (!RequiresGrad)
        {
            if (owned) g.Dispose();
            return;
        }
        if (_disposed)
        {
            // A gradient for a disposed leaf would leak; at a disposed intermediate (its backward
            // cleared) the gradient would silently stop flowing. Say which tensor it was.
            if (owned) g.Dispose();
            ThrowIfDisposed();
        }
        if (g.Shape != Shape)
            throw new InvalidOperationException($"gradient shape {g.Shape} does not match {Describe()}");
        if (Grad is null)
        {
            var grad = owned ? g : g.Copy();
            grad.KeepAlive = IsLeaf || RetainGrad;
            grad.Name = $"grad({Name ?? Op})";
            Grad = grad;
            return;
        }
        Grad.AddScaledInPlace(g);
        if (owned) g.Dispose();
    }

    /// <summary>Back-propagates from this scalar (or with an explicit output gradient).</summary>
    public void Backward(Tensor? gradient = null)
    {
        ThrowIfDisposed();
        if (!RequiresGrad)
            throw new InvalidOperationException($"Backward() on {Describe()}, which does not require grad (no parameter reaches it, or it was made under NoGrad)");
        if (gradient is null && Length != 1)
            throw new InvalidOperationException($"Backward() without a gradient needs a scalar; {Describe()} has {Length} elements");
        if (gradient is not null && gradient.Shape != Shape)
            throw new ArgumentException($"gradient shape {gradient.Shape} does not match {Describe()}");

        var order = TopologicalOrder();
        using (GradMode.NoGrad())
        {
            if (gradient is null)
            {
                var one = Full(Device, Shape, 1f);
                AccumulateGrad(one, owned: true);
            }
            else
            {
                AccumulateGrad(gradient, owned: false);
            }
            for (int i = order.Count - 1; i >= 0; i--)
            {
                var node = order[i];
                if (node.BackwardFn is null || node.Grad is null) continue;
                var g = node.Grad;
                node.BackwardFn(g);
                if (!node.RetainGrad)
                {
                    node.Grad = null;
                    g.Dispose();
                }
            }
        }
    }

    /// <summary>The graph below this tensor, parents before children (iterative DFS).</summary>
    public List<Tensor> TopologicalOrder()
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor node, int next)>();
        stack.Push((this, 0));
        visited.Add(this);
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            if (next < node.Parents.Length)
            {
                stack.Push((node, next + 1));
                var p = node.Parents[next];
                if (visited.Add(p)) stack.Push((p, 0));
            }
            else
            {
                order.Add(node);
            }
        }
        return order;
    }

    /// <summary>Clears the gradient (fills it with zeros, keeping its memory).</summary>
    public void ZeroGrad()
    {
        if (Grad is null) return;
        Device.Kernels.Get<Kernels.Tensor.AffineKernels>().Fill(Grad.View, 0f);
    }

    /// <summary>Frees this tensor's gradient.</summary>
    public void ClearGrad()
    {
        Grad?.Dispose();
        Grad = null;
    }

    /// <summary>Cuts this tensor from its graph (it becomes a leaf that requires no grad).</summary>
    public Tensor Detach()
    {
        var t = ViewAs(Shape);
        t.Name = Name;
        t.Op = "detach";
        return t;
    }

    // ---- host transfer ----

    /// <summary>Copies the data to the host (synchronises).</summary>
    public float[] ToArray()
    {
        ThrowIfDisposed();
        var a = new float[Length];
        if (Length > 0) View.CopyToCPU(a);
        return a;
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Length != 1) throw new InvalidOperationException($"Item() needs one element; {Describe()} has {Length}");
        return ToArray()[0];
    }

    /// <summary>Overwrites the data from the host.</summary>
    public void CopyFrom(ReadOnlySpan<float> data)
    {
        ThrowIfDisposed();
        if (data.Length != Length)
            throw new ArgumentException($"cannot copy {data.Length} values into {Describe()} ({Length} elements)");
        if (Length > 0) View.CopyFromCPU(data.ToArray());
    }

    /// <summary>Frees the storage (returned to the device pool when no view shares it). Safe to call twice.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Grad?.Dispose();
        Grad = null;
        if (_owned is not null)
        {
            foreach (var r in _owned) r.Dispose();
            _owned = null;
        }
        Parents = [];
        SavedForBackward = [];
        BackwardFn = null;
        if (!Device.IsDisposed) _storage.Release();
    }
}
