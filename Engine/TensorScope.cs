// Tensors created inside a scope are disposed when it ends, unless kept. A training step runs in
// one scope: its activations, intermediate gradients and temporaries return to the pool at the
// end of the step, while parameters, their gradients and optimizer state (created outside, or
// kept) live on.
namespace Activations.Engine;

public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;

    private readonly TensorScope? _parent;
    private readonly List<Tensor> _tensors = new();
    private bool _disposed;

    private TensorScope()
    {
        _parent = _current;
        _current = this;
    }

    /// <summary>Opens a scope on this thread; dispose it to free what was created inside.</summary>
    public static TensorScope Begin() => new();

    internal static void Register(Tensor t) => _current?._tensors.Add(t);

    /// <summary>Moves <paramref name="t"/> out of this scope (to the enclosing one, if any).</summary>
    public Tensor Keep(Tensor t)
    {
        if (_tensors.Remove(t)) _parent?._tensors.Add(t);
        return t;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _tensors)
            if (!t.KeepAlive) t.Dispose();
        _tensors.Clear();
        _current = _parent;
    }
}
