// The models the app trains, built from Engine/Nn layers and initialised by the chosen scheme.
//
//   mlp (MNIST): flatten → fc1 784→128 → act1 → fc2 128→64 → act2 → fc3 64→10
// act1/act2 share the run's activation; a learnable α is one parameter per layer (act1.alpha, shape
// [1]) or one per feature with --alpha-per-channel (act1.alpha [128], act2.alpha [64]).
using Activations.Engine;
using Activations.Engine.Nn;
using Activations.Training.Run;

namespace Activations.Training.Models;

public static class ModelFactory
{
    public static IReadOnlyList<string> Names { get; } = ["mlp"];

    public static Module Create(TrainConfig config, Device device, int inputSize, int classes)
    {
        var kind = ActivationCatalog.Parse(config.Activation);
        if (!Init.TryParse(config.Init, out var scheme)) throw new ArgumentException($"unknown init '{config.Init}'");
        float alpha = config.Alpha ?? float.NaN;
        ActivationLayer Act(int channels) =>
            new(device, kind, alpha, config.LearnableAlpha, config.AlphaPerChannel ? channels : 0);
        Module model = config.Model switch
        {
            "mlp" => new Sequential(
                ("flatten", new Flatten()),
                ("fc1", new Linear(device, inputSize, 128)),
                ("act1", Act(128)),
                ("fc2", new Linear(device, 128, 64)),
                ("act2", Act(64)),
                ("fc3", new Linear(device, 64, classes))),
            _ => throw new ArgumentException($"unknown model '{config.Model}'; expected one of {string.Join(", ", Names)}"),
        };
        Init.Apply(model, scheme, config.Seed);
        return model;
    }
}
