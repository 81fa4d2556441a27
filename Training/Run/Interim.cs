// INTERIM stand-ins for what branch h-matmul adds to the Engine (fused softmax cross-entropy with
// labels on device, an on-device accuracy count, Engine/Optim optimizers and LR schedules). They are
// composed from existing primitives so the app trains end to end today; the Trainer reaches them
// only through TrainingOps and IOptimizer below, so wiring in the Engine's versions changes this
// file and nothing else.
using Activations.Engine;
using Activations.Engine.Autograd;
using Activations.Kernels.Tensor;

namespace Activations.Training.Run;

/// <summary>What the training loop needs from an optimizer.</summary>
public interface IOptimizer
{
    /// <summary>The learning rate used by the next <see cref="Step"/>.</summary>
    float LearningRate { get; set; }

    /// <summary>Updates every parameter from its gradient.</summary>
    void Step();

    /// <summary>Zeroes every parameter's gradient.</summary>
    void ZeroGrad();

    /// <summary>The state to checkpoint, by name ("fc1.weight.momentum_buffer"); created eagerly so a resume can load it.</summary>
    IReadOnlyList<(string Name, Tensor Tensor)> State { get; }
}

/// <summary>The loss, the metric and the optimizers the Trainer uses.</summary>
public static class TrainingOps
{
    /// <summary>
    /// Mean softmax cross-entropy of <paramref name="logits"/> (N, C) against one-hot labels (N, C):
    /// −(1/N)·Σ onehot·(z − max z − log Σ e^(z − max z)). The row max is a constant (no gradient).
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, Tensor oneHot)
    {
        _ = labels;
        Tensor max;
        using (GradMode.NoGrad()) max = logits.Max(1, keepDims: true);
        var shifted = logits - max;
        var lse = shifted.Exp().Sum(1, keepDims: true).Log();
        var logp = shifted - lse;
        return (logp * oneHot).Sum() * (-1f / logits.Shape[0]);
    }

    /// <summary>How many rows of <paramref name="logits"/> have their argmax at the label.</summary>
    public static int CorrectCount(Tensor logits, Tensor labels)
    {
        using var pred = logits.ArgMax(1);
        var p = pred.ToArray();
        var l = labels.ToArray();
        int correct = 0;
        for (int i = 0; i < p.Length; i++) if (p[i] == l[i]) correct++;
        return correct;
    }

    /// <summary>The optimizer named by <paramref name="config"/>.</summary>
    public static IOptimizer CreateOptimizer(TrainConfig config, IReadOnlyList<(string Name, Tensor Tensor)> parameters) =>
        config.Optimizer switch
        {
            "sgd" => new InterimSgd(parameters, config.Lr, config.Momentum, config.Nesterov, config.WeightDecay),
            _ => throw new NotSupportedException($"optimizer '{config.Optimizer}' arrives with Engine/Optim (branch h-matmul); use --optimizer sgd for now"),
        };

    /// <summary>The learning rate at global step <paramref name="step"/> of <paramref name="totalSteps"/>.</summary>
    public static float LearningRate(string schedule, float baseLr, long step, long totalSteps, int stepsPerEpoch, int epochs)
    {
        double t = totalSteps <= 1 ? 0 : (double)step / (totalSteps - 1);
        switch (schedule)
        {
            case "constant":
                return baseLr;
            case "step":
            {
                // ×0.1 at 1/3 and 2/3 of the epochs (at least one epoch apart).
                int stepSize = Math.Max(1, epochs / 3);
                int epoch = (int)(step / Math.Max(1, stepsPerEpoch));
                return baseLr * MathF.Pow(0.1f, epoch / stepSize);
            }
            case "cosine":
                return (float)(baseLr * 0.5 * (1 + Math.Cos(Math.PI * t)));
            case "onecycle":
            {
                // PyTorch OneCycleLR defaults: warm up over 30% from lr/25, then cosine down to lr/25/1e4.
                double initial = baseLr / 25.0, final = initial / 1e4;
                if (t < 0.3) return (float)Cos(initial, baseLr, t / 0.3);
                return (float)Cos(baseLr, final, (t - 0.3) / 0.7);
            }
            default:
                throw new ArgumentException($"unknown schedule '{schedule}'");
        }
    }

    private static double Cos(double from, double to, double t) => to + (from - to) * 0.5 * (1 + Math.Cos(Math.PI * t));
}

/// <summary>
/// SGD as PyTorch's torch.optim.SGD (dampening 0): g = ∇ + wd·p; b = μ·b + g; d = nesterov ? g + μ·b : b;
/// p −= lr·d. The momentum buffer starts at zero, so the first step sets b = g, as PyTorch does.
/// </summary>
public sealed class InterimSgd : IOptimizer
{
    private readonly IReadOnlyList<(string Name, Tensor Tensor)> _parameters;
    private readonly Tensor?[] _buffers;
    private readonly float _momentum, _weightDecay;
    private readonly bool _nesterov;

    public float LearningRate { get; set; }
    public IReadOnlyList<(string Name, Tensor Tensor)> State { get; }

    public InterimSgd(IReadOnlyList<(string Name, Tensor Tensor)> parameters, float lr, float momentum, bool nesterov, float weightDecay)
    {
        _parameters = parameters;
        LearningRate = lr;
        _momentum = momentum;
        _nesterov = nesterov;
        _weightDecay = weightDecay;
        _buffers = new Tensor?[parameters.Count];
        var state = new List<(string, Tensor)>();
        if (momentum != 0)
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                var (name, p) = parameters[i];
                var b = Tensor.Zeros(p.Device, p.Shape.ToArray());
                b.KeepAlive = true;
                b.Name = name + ".momentum_buffer";
                _buffers[i] = b;
                state.Add((b.Name, b));
            }
        }
        State = state;
    }

    public void Step()
    {
        using var _ = GradMode.NoGrad();
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i].Tensor;
            if (p.Grad is null) continue;
            var k = p.Device.Kernels.Get<AffineKernels>();
            using var g = p.Grad.Copy();
            if (_weightDecay != 0) k.Axpy(p.View, g.View, _weightDecay);
            var b = _buffers[i];
            if (b is null)
            {
                k.Axpy(g.View, p.View, -LearningRate);
                continue;
            }
            k.Affine(b.View, b.View, _momentum, 0f);
            k.Axpy(g.View, b.View, 1f);
            if (_nesterov)
            {
                k.Axpy(b.View, g.View, _momentum);
                k.Axpy(g.View, p.View, -LearningRate);
            }
            else
            {
                k.Axpy(b.View, p.View, -LearningRate);
            }
        }
    }

    public void ZeroGrad()
    {
        foreach (var (_, p) in _parameters) p.ZeroGrad();
    }
}
