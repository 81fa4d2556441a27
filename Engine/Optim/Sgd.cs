// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay,
// PyTorch's torch.optim.SGD rule (see Kernels/Optim/OptimizerKernels.cs for the formulas).
using Activations.Kernels.Optim;

namespace Activations.Engine.Optim;

public sealed class Sgd : Optimizer
{
    private readonly Tensor?[] _momentum;

    public float Momentum { get; }
    public float Dampening { get; }
    public float WeightDecay { get; }
    public bool Nesterov { get; }

    /// <summary>State per parameter (when momentum ≠ 0): "&lt;name&gt;.momentum_buffer".</summary>
    public Sgd(IEnumerable<Tensor> parameters, float learningRate, float momentum = 0f, float dampening = 0f,
        float weightDecay = 0f, bool nesterov = false) : base(parameters, learningRate)
    {
        if (!(momentum >= 0f)) throw new ArgumentOutOfRangeException(nameof(momentum), $"momentum must be ≥ 0; got {momentum}");
        if (!(weightDecay >= 0f)) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"weight decay must be ≥ 0; got {weightDecay}");
        if (nesterov && (momentum <= 0f || dampening != 0f))
            throw new ArgumentException($"Nesterov momentum needs momentum > 0 and dampening 0; got momentum {momentum}, dampening {dampening}");
        Momentum = momentum;
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        _momentum = Parameters.Select(p => momentum != 0f ? AddState(p, "momentum_buffer") : null).ToArray();
    }

    protected override void Update(int index, Tensor parameter, Tensor grad, long step)
    {
        var args = new SgdArgs(LearningRate, Momentum, Dampening, WeightDecay, Nesterov ? 1 : 0, step == 1 ? 1 : 0);
        Device.Kernels.Get<OptimizerKernels>().Sgd(parameter.View, grad.View, (_momentum[index] ?? parameter).View, args);
    }
}
