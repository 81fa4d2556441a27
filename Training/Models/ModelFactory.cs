// The models the app trains, built from Engine/Nn layers and initialised by the chosen scheme.
//
// Every model builds for the data set's image shape (C, H, W) and class count: the first layer takes C
// channels (mlp: C·H·W inputs), the first linear layer after the convolutions takes what they leave of
// H×W, and the last layer has one output per class; a shape too small for a model's convolutions and
// pools is refused with a usage error naming the smallest side it takes. Shown here for MNIST/CIFAR-10:
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
using Activations.Training.Cli;
using Activations.Training.Data;

namespace Activations.Training.Models;

public static class ModelFactory
{
    public static IReadOnlyList<string> Names { get; } = ["mlp", "cnn", "lenet", "lenet-bn", "vgg"];

    /// <summary>The data set a model is built for when none is named: the CIFAR-10 nets' or MNIST.</summary>
    public static string DefaultDataset(string model) => model is "lenet" or "lenet-bn" or "vgg" ? "cifar10" : "mnist";

    /// <summary>The input shape (C, H, W) of a named data set's images; idx: and folder: sets have theirs only once read.</summary>
    public static (int C, int H, int W) InputShape(string dataset)
    {
        if (dataset == "cifar10") return (3, 32, 32);
        if (IdxDatasets.Find(dataset) is { } set) return set.Shape;
        if (DatasetSource.IsIdx(dataset, out _) || DatasetSource.IsFolder(dataset, out _))
            throw new UsageException($"--dataset {dataset}: its image shape is known only once its files are read (by `train`, `compare` or `predictions`); this command takes a named data set ({string.Join(", ", DatasetSource.Names)})");
        return (1, 28, 28);
    }

    /// <summary>The smallest image side <paramref name="model"/> takes (its convolutions and pools leave at least 1×1).</summary>
    public static int MinSide(string model) => model switch
    {
        "cnn" => 4,
        "lenet" or "lenet-bn" => 16,
        "vgg" => 8,
        _ => 1,
    };

    /// <summary>For a flat input of <paramref name="inputSize"/> (mlp), else the named data set's shape.</summary>
    public static Module Create(ModelSettings config, Device device, int inputSize, int classes) =>
        Create(config, device, config.Model == "mlp" ? (1, 1, inputSize) : InputShape(config.Dataset), classes);

    public static Module Create(ModelSettings config, Device device, (int C, int H, int W) shape, int classes)
    {
        int min = MinSide(config.Model);
        if (shape.H < min || shape.W < min)
            throw new UsageException($"--model {config.Model} needs images of at least {min}×{min}; {config.Dataset} has {shape.H}×{shape.W} (mlp takes any size)");
        var (inChannels, height, width) = shape;
        int inputSize = inChannels * height * width;
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
                ("conv1", new Conv2d(device, inChannels, 32, 3, padding: 1)),
                ("act1", Act(32)),
                ("pool1", new MaxPool2d(2)),
                ("conv2", new Conv2d(device, 32, 64, 3, padding: 1)),
                ("act2", Act(64)),
                ("pool2", new MaxPool2d(2)),
                ("flatten", new Flatten()),
                ("fc1", new Linear(device, 64 * (height / 4) * (width / 4), 128)),
                ("act3", Act(128)),
                ("fc2", new Linear(device, 128, classes))),
            "lenet" => LeNet(device, shape, classes, Act, batchNorm: false),
            "lenet-bn" => LeNet(device, shape, classes, Act, batchNorm: true),
            "vgg" => new Sequential(
                ("conv1", new Conv2d(device, inChannels, 64, 3, padding: 1, bias: false)),
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

    private static Sequential LeNet(Device device, (int C, int H, int W) shape, int classes, Func<int, ActivationLayer> act, bool batchNorm)
    {
        var (c, h, w) = shape;
        int flat = 16 * (((h - 4) / 2 - 4) / 2) * (((w - 4) / 2 - 4) / 2);
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
