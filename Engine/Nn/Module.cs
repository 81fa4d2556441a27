// Layers: a Module owns named parameters and child modules and maps a tensor to a tensor.
// Parameter names are dotted paths from the root ("fc1.weight", "act1.alpha"), the names used by
// checkpoints, optimizer state and error messages. Parameters are created outside any TensorScope
// (or kept), so a training step's scope never frees them.
namespace Activations.Engine.Nn;

public abstract class Module : IDisposable
{
    private readonly List<(string Name, Tensor Tensor)> _parameters = new();
    private readonly List<(string Name, Module Module)> _children = new();
    private readonly List<(string Name, Tensor Tensor)> _buffers = new();
    private bool _disposed;

    /// <summary>Training mode (batch statistics in BatchNorm) or evaluation mode (running statistics).</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Sets training mode on this module and every child.</summary>
    public void Train(bool training = true)
    {
        IsTraining = training;
        foreach (var (_, m) in _children) m.Train(training);
    }

    /// <summary>Evaluation mode: <c>Train(false)</c>.</summary>
    public void Eval() => Train(false);

    /// <summary>State that is saved and restored but not learned (BatchNorm's running statistics), with dotted names.</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> NamedBuffers()
    {
        var list = new List<(string, Tensor)>();
        Collect("", list, m => m._buffers);
        return list;
    }

    /// <summary>Registers a non-learned state tensor (kept alive, saved in checkpoints).</summary>
    protected Tensor AddBuffer(string name, Tensor tensor)
    {
        if (_buffers.Any(b => b.Name == name)) throw new ArgumentException($"buffer '{name}' registered twice");
        tensor.KeepAlive = true;
        tensor.Name = name;
        _buffers.Add((name, tensor));
        return tensor;
    }

    /// <summary>y = f(x).</summary>
    public abstract Tensor Forward(Tensor x);

    /// <summary>The learnable tensors of this module and its children, with dotted names, in registration order.</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> NamedParameters()
    {
        var list = new List<(string, Tensor)>();
        Collect("", list, m => m._parameters);
        return list;
    }

    public IReadOnlyList<Tensor> Parameters() => NamedParameters().Select(p => p.Tensor).ToList();

    /// <summary>The children, with their names.</summary>
    public IReadOnlyList<(string Name, Module Module)> Children => _children;

    /// <summary>This module and every module below it, depth first.</summary>
    public IEnumerable<Module> Modules()
    {
        yield return this;
        foreach (var (_, child) in _children)
            foreach (var m in child.Modules()) yield return m;
    }

    /// <summary>Applies every parameter constraint below this module (learnable α kept in range); call after an optimizer step.</summary>
    public void ProjectParameters()
    {
        foreach (var layer in Modules().OfType<ActivationLayer>()) layer.Project();
    }

    /// <summary>Depth-first: this module's own tensors (parameters or buffers), then each child's, with dotted names.</summary>
    private void Collect(string prefix, List<(string, Tensor)> into, Func<Module, List<(string Name, Tensor Tensor)>> own)
    {
        foreach (var (name, t) in own(this)) into.Add((prefix + name, t));
        foreach (var (name, m) in _children) m.Collect(prefix + name + ".", into, own);
    }

    /// <summary>Registers <paramref name="tensor"/> as a learnable parameter named <paramref name="name"/>.</summary>
    protected Tensor AddParameter(string name, Tensor tensor)
    {
        if (_parameters.Any(p => p.Name == name)) throw new ArgumentException($"parameter '{name}' registered twice");
        tensor.RequiresGrad = true;
        tensor.KeepAlive = true;
        tensor.Name = name;
        _parameters.Add((name, tensor));
        return tensor;
    }

    protected T AddChild<T>(string name, T module) where T : Module
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"module name '{name}' must be non-empty and contain no '.'");
        if (_children.Any(c => c.Name == name)) throw new ArgumentException($"module '{name}' registered twice");
        _children.Add((name, module));
        return module;
    }

    /// <summary>Renames every parameter to its full dotted path (done once by the root).</summary>
    public void NameParameters()
    {
        foreach (var (name, t) in NamedParameters()) t.Name = name;
        foreach (var (name, t) in NamedBuffers()) t.Name = name;
    }

    /// <summary>Frees parameters (and their gradients) of this module and its children.</summary>
    public virtual void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var (_, t) in _parameters) t.Dispose();
        foreach (var (_, t) in _buffers) t.Dispose();
        foreach (var (_, m) in _children) m.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Runs its children in order.</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = new();

    public Sequential(params (string Name, Module Module)[] layers)
    {
        foreach (var (name, m) in layers) _layers.Add(AddChild(name, m));
        NameParameters();
    }

    public override Tensor Forward(Tensor x)
    {
        foreach (var layer in _layers) x = layer.Forward(x);
        return x;
    }
}

/// <summary>(N, d1, d2, …) → (N, d1·d2·…): a view.</summary>
public sealed class Flatten : Module
{
    public override Tensor Forward(Tensor x) => x.Rank == 2 ? x : x.Flatten(1);
}
