// The optimizer and learning-rate schedule a run's configuration asks for (Engine/Optim).
//
//   sgd     torch.optim.SGD(lr, momentum, nesterov, weight_decay)
//   adam    torch.optim.Adam(lr, weight_decay as L2)
//   adamw   torch.optim.AdamW(lr, weight_decay decoupled; default 0.01 as in PyTorch)
//   constant | step (×0.1 every ⌈epochs/3⌉ epochs, at least 1) | cosine (to 0 over the run) |
//   onecycle (PyTorch OneCycleLR defaults, peak = --lr)
using Activations.Engine;
using Activations.Engine.Optim;

namespace Activations.Training.Run;

public static class TrainingOps
{
    public static Optimizer CreateOptimizer(RunConfig c, IEnumerable<Tensor> parameters) => c.Optimizer switch
    {
        "sgd" => new Sgd(parameters, c.Lr, c.Momentum, 0f, c.WeightDecay ?? 0f, c.Nesterov),
        "adam" => new Adam(parameters, c.Lr, weightDecay: c.WeightDecay ?? 0f),
        "adamw" => Adam.AdamW(parameters, c.Lr, weightDecay: c.WeightDecay ?? 0.01f),
        _ => throw new ArgumentException($"unknown optimizer '{c.Optimizer}'"),
    };

    public static LrSchedule CreateSchedule(RunConfig c, int stepsPerEpoch)
    {
        long total = Math.Max(2L, (long)stepsPerEpoch * c.Epochs);
        return c.Schedule switch
        {
            "constant" => new ConstantLr(c.Lr),
            "step" => new StepDecayLr(c.Lr, Math.Max(1, stepsPerEpoch * Math.Max(1, (c.Epochs + 2) / 3))),
            "cosine" => new CosineLr(c.Lr, total),
            "onecycle" => new OneCycleLr(c.Lr, total),
            _ => throw new ArgumentException($"unknown schedule '{c.Schedule}'"),
        };
    }
}
