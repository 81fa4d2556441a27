// The models the app trains, built from Engine/Nn layers and initialised by the chosen scheme.
//
//   mlp (MNIST): flatten → fc1 784→128 → act1 → fc2 128→64 → act2 → fc3 64→10
//   cnn (MNIST, the original study's): conv1 1→32 3×3 pad 1 → act1 → max-pool 2 → conv2 32→64 3×3
//       pad 1 → act2 → max-pool 2 → flatten → fc1 3136→128 → act3 → fc2 128→10
//   lenet (CIFAR-10, the original study's / the classic tutorial net): conv1 3→6 5×5 → act1 → pool 2
//       → conv2 6→16 5×5 → act2 → pool 2 → flatten → fc1 400→120 → act3 → fc2 120→84 → act4 → fc3 84→10
//   lenet-bn (CIFAR-10, the study's small BN net): lenet with conv1 and conv2 bias-free, each followed
//       by BatchNorm before its activation; cheap enough for a seeded grid on a CPU
//   vgg (CIFAR-10, with BatchNorm, for GPU runs): [conv 3×3 (no bias) → BN → act] with 64, 128 (pool),
//       256 (pool), 256 (pool) channels → global average pool → fc 256→10
// With --alpha-per-channel a convolution's activation learns one α per channel (axis 1).
// act1/act2 share the run's activation; a learnable α is one parameter per layer (act1.alpha, shape
// [1]) or one per feature with --alpha-per-channel (act1.alpha [128], act2.alpha [64]).
using Activations.Engine;
using Activations.Engine.Nn;
using Activations.Kernels.Activations;

namespace Activations.Training.Models;

public static class ModelFactory
{
    public static IReadOnlyList<string> Names { get; } = ["mlp", "cnn", "lenet", "lenet-bn", "vgg"];

    /// <summary>The data set a model is built for when none is named: the CIFAR-10 nets' or MNIST.</summary>
    public static string DefaultDataset(string model) => model is "lenet" or "lenet-bn" or "vgg" ? "cifar10" : "mnist";

    /// <summary>The input shape (C, H, W) of a data set's images.</summary>
    public static (int C, int H, int W) InputShape(string dataset) => dataset switch
    {
        "cifar10" => (3, 32, 32),
        _ => (1, 28, 28),
    };

    public static Module Create(ModelSettings config, Device device, int inputSize, int classes)
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
            "cnn" => new Sequential(
                ("conv1", new Conv2d(device, InputShape(config.Dataset).C, 32, 3, padding: 1)),
                ("act1", Act(32)),
                ("pool1", new MaxPool2d(2)),
                ("conv2", new Conv2d(device, 32, 64, 3, padding: 1)),
                ("act2", Act(64)),
                ("pool2", new MaxPool2d(2)),
                ("flatten", new Flatten()),
                ("fc1", new Linear(device, 64 * (InputShape(config.Dataset).H / 4) * (InputShape(config.Dataset).W / 4), 128)),
                ("act3", Act(128)),
                ("fc2", new Linear(device, 128, classes))),
            "lenet" => LeNet(device, config.Dataset, classes, Act, batchNorm: false),
            "lenet-bn" => LeNet(device, config.Dataset, classes, Act, batchNorm: true),
            "vgg" => new Sequential(
                ("conv1", new Conv2d(device, InputShape(config.Dataset).C, 64, 3, padding: 1, bias: false)),
                ("bn1", new BatchNorm(device, 64)),
                ("act1", Act(64)),
                ("conv2", new Conv2d(device, 64, 128, 3, padding: 1, bias: false)),
                ("bn2", new BatchNorm(device, 128)),
                ("act2", Act(128)),
                ("pool2", new MaxPool2d(2)),
                ("conv3", new Conv2d(device, 128, 256, 3, padding: 1, bias: false)),
                ("bn3", new BatchNorm(device, 256)),
                ("act3", Act(256)),
                ("pool3", new MaxPool2d(2)),
                ("conv4", new Conv2d(device, 256, 256, 3, padding: 1, bias: false)),
                ("bn4", new BatchNorm(device, 256)),
                ("act4", Act(256)),
                ("pool4", new MaxPool2d(2)),
                ("gap", new GlobalAvgPool()),
                ("fc", new Linear(device, 256, classes))),
            _ => throw new ArgumentException($"unknown model '{config.Model}'; expected one of {string.Join(", ", Names)}"),
        };
        Init.Apply(model, scheme, config.Seed);
        return model;
    }

    private static Sequential LeNet(Device device, string dataset, int classes, Func<int, ActivationLayer> act, bool batchNorm)
    {
        var (c, h, w) = InputShape(dataset);
        int flat = 16 * ((h - 4) / 2 - 4) / 2 * (((w - 4) / 2 - 4) / 2);
        var layers = new List<(string, Module)> { ("conv1", new Conv2d(device, c, 6, 5, bias: !batchNorm)) };
        if (batchNorm) layers.Add(("bn1", new BatchNorm(device, 6)));
        layers.AddRange([("act1", act(6)), ("pool1", new MaxPool2d(2)), ("conv2", new Conv2d(device, 6, 16, 5, bias: !batchNorm))]);
        if (batchNorm) layers.Add(("bn2", new BatchNorm(device, 16)));
        layers.AddRange([("act2", act(16)), ("pool2", new MaxPool2d(2)), ("flatten", new Flatten()),
            ("fc1", new Linear(device, flat, 120)), ("act3", act(120)),
            ("fc2", new Linear(device, 120, 84)), ("act4", act(84)),
            ("fc3", new Linear(device, 84, classes))]);
        return new Sequential([.. layers]);
    }
}
