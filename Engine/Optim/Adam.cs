// Adam with bias correction, and AdamW (decoupled weight decay): PyTorch's torch.optim.Adam and
// torch.optim.AdamW rules (see Kernels/Optim/OptimizerKernels.cs for the formulas).
using Activations.Kernels.Optim;

namespace Activations.Engine.Optim;

public sealed class Adam : Optimizer
{
    private readonly Tensor[] _expAvg, _expAvgSq;

    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public float WeightDecay { get; }

    /// <summary>True for AdamW: the decay shrinks the weights directly instead of joining the gradient.</summary>
    public bool DecoupledWeightDecay { get; }

    /// <summary>State per parameter: "&lt;name&gt;.exp_avg" (m) and "&lt;name&gt;.exp_avg_sq" (v).</summary>
    public Adam(IEnumerable<Tensor> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float epsilon = 1e-8f, float weightDecay = 0f, bool decoupledWeightDecay = false) : base(parameters, learningRate)
    {
        if (!(beta1 >= 0f && beta1 < 1f) || !(beta2 >= 0f && beta2 < 1f))
            throw new ArgumentOutOfRangeException(nameof(beta1), $"betas must be in [0, 1); got ({beta1}, {beta2})");
        if (!(epsilon >= 0f)) throw new ArgumentOutOfRangeException(nameof(epsilon), $"epsilon must be ≥ 0; got {epsilon}");
        if (!(weightDecay >= 0f)) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"weight decay must be ≥ 0; got {weightDecay}");
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        DecoupledWeightDecay = decoupledWeightDecay;
        _expAvg = Parameters.Select(p => AddState(p, "exp_avg")).ToArray();
        _expAvgSq = Parameters.Select(p => AddState(p, "exp_avg_sq")).ToArray();
    }

    /// <summary>AdamW with PyTorch's defaults (weight decay 0.01).</summary>
    public static Adam AdamW(IEnumerable<Tensor> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float epsilon = 1e-8f, float weightDecay = 0.01f) =>
        new(parameters, learningRate, beta1, beta2, epsilon, weightDecay, decoupledWeightDecay: true);

    protected override void Update(int index, Tensor parameter, Tensor grad, long step) =>
        Device.Kernels.Get<OptimizerKernels>().Adam(parameter.View, grad.View, _expAvg[index].View, _expAvgSq[index].View,
            LearningRate, Beta1, Beta2, Epsilon, WeightDecay, DecoupledWeightDecay, step);
}
