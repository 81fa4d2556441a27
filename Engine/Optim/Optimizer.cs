// What every optimizer shares: named parameters, named device state (for checkpoints), per-parameter
// step counts, the learning rate a schedule sets, ZeroGrad and Step.
//
// State tensors live on the device for the optimizer's lifetime (KeepAlive, so a TensorScope around
// a training step never frees them) and are named "<parameter>.<state>", as in PyTorch's state_dict:
// "fc1.weight.momentum_buffer", "fc1.weight.exp_avg". A checkpoint saves State and the step counts
// and restores them with CopyFrom and SetStep.
namespace Activations.Engine.Optim;

public abstract class Optimizer : IDisposable
{
    private readonly Dictionary<string, Tensor> _state = new();
    private readonly long[] _steps;
    private bool _disposed;

    /// <summary>The parameters, in the order given.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>Device state by name ("fc1.weight.exp_avg").</summary>
    public IReadOnlyDictionary<string, Tensor> State => _state;

    /// <summary>The learning rate of the next Step (a schedule sets it before each step).</summary>
    public float LearningRate { get; set; }

    protected Device Device { get; }

    protected Optimizer(IEnumerable<Tensor> parameters, float learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters.ToList();
        if (list.Count == 0) throw new ArgumentException("an optimizer needs at least one parameter");
        var names = new HashSet<string>();
        foreach (var p in list)
        {
            p.ThrowIfDisposed();
            if (string.IsNullOrEmpty(p.Name))
                throw new ArgumentException($"optimizer parameters need names (for their state); {p.Describe()} has none");
            if (!p.RequiresGrad) throw new ArgumentException($"parameter {p.Describe()} does not require grad");
            if (!names.Add(p.Name)) throw new ArgumentException($"two parameters are named '{p.Name}'");
            if (!ReferenceEquals(p.Device, list[0].Device))
                throw new ArgumentException($"parameter {p.Describe()} is on {p.Device.Key}, {list[0].Describe()} on {list[0].Device.Key}");
        }
        if (!(learningRate >= 0f)) throw new ArgumentOutOfRangeException(nameof(learningRate), $"learning rate must be ≥ 0; got {learningRate}");
        Parameters = list;
        Device = list[0].Device;
        LearningRate = learningRate;
        _steps = new long[list.Count];
    }

    /// <summary>A zero-filled state tensor "<paramref name="parameter"/>.Name.<paramref name="state"/>" shaped like the parameter.</summary>
    protected Tensor AddState(Tensor parameter, string state)
    {
        var t = Tensor.Full(Device, parameter.Shape, 0f);
        t.Name = $"{parameter.Name}.{state}";
        t.KeepAlive = true;
        _state.Add(t.Name, t);
        return t;
    }

    /// <summary>How many updates parameter <paramref name="name"/> has had.</summary>
    public long GetStep(string name) => _steps[IndexOf(name)];

    /// <summary>Restores a step count (from a checkpoint).</summary>
    public void SetStep(string name, long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        _steps[IndexOf(name)] = step;
    }

    private int IndexOf(string name)
    {
        for (int i = 0; i < Parameters.Count; i++)
            if (Parameters[i].Name == name) return i;
        throw new KeyNotFoundException($"no parameter named '{name}'");
    }

    /// <summary>Updates every parameter that has a gradient (parameters without one are skipped, as in PyTorch).</summary>
    public void Step()
    {
        if (_disposed) throw new ObjectDisposedException(GetType().Name);
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            if (p.Grad is null) continue;
            _steps[i]++;
            Update(i, p, p.Grad, _steps[i]);
        }
    }

    /// <summary>One update of parameter <paramref name="index"/>; <paramref name="step"/> counts from 1.</summary>
    protected abstract void Update(int index, Tensor parameter, Tensor grad, long step);

    /// <summary>
    /// Clears the gradients: frees them by default (PyTorch's set_to_none; the next backward adopts a
    /// fresh pooled buffer instead of adding into zeros), or fills them with zeros.
    /// </summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in Parameters)
        {
            if (setToNone) p.ClearGrad();
            else p.ZeroGrad();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _state.Values) t.Dispose();
        GC.SuppressFinalize(this);
    }
}
