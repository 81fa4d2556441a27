// `activations train`: find the data, open the device, build the model, optionally resume, train.
using Activations.Engine;
using Activations.Training.Data;
using Activations.Training.Run;

namespace Activations.Training.Cli;

public static class TrainCommand
{
    public static int Run(TrainConfig config, Console2 console)
    {
        using var device = Device.Create(config.Device);
        var locator = new DatasetLocator(config.Data, config.Mirror) { Log = console.Error, LiveProgress = console.Interactive };
        ImageSplit trainSplit, testSplit;
        IEpochFill? fill = null;
        if (config.Dataset == "cifar10")
        {
            string source = locator.EnsureCifar10();
            var cifar = Cifar10Training.Load(source, Path.Combine(locator.DataRoot, "cifar10"), config.LimitTrain, config.LimitTest,
                config.Augment, config.Seed, console.Error.WriteLine);
            (trainSplit, testSplit, fill) = (cifar.Train, cifar.Test, cifar);
        }
        else
        {
            var mnist = MnistDataset.Load(locator.EnsureMnist(), config.LimitTrain, config.LimitTest);
            (trainSplit, testSplit) = (mnist.Train, mnist.Test);
        }
        var data = (Train: trainSplit, Test: testSplit);
        console.Out.WriteLine($"training {config.Model} ({config.Activation}{AlphaText(config)}, init {config.Init}) on {config.Dataset}: " +
            $"{data.Train.Count} train / {data.Test.Count} test images, {config.Epochs} epochs, batch {config.Batch}, " +
            $"{config.Optimizer} lr {config.Lr} ({config.Schedule}), seed {config.Seed}, device {device}");
        ITrainingProgress progress = console.Interactive ? new LiveProgress() : new NoProgress();
        using var trainer = new Trainer(config, device, data.Train, data.Test, console.Out, progress, fill);
        int start = 0;
        RunFolder run;
        if (config.Resume is { } ckpt)
        {
            start = trainer.Resume(ckpt);
            string? dir = Path.GetDirectoryName(Path.GetFullPath(ckpt));
            run = RunFolder.IsRunFolder(dir) ? RunFolder.Continue(dir!, start) : RunFolder.Create(config.Out, config, DateTime.Now);
            console.Out.WriteLine($"resumed from {ckpt} after epoch {start}");
            if (start >= config.Epochs)
            {
                console.Out.WriteLine($"nothing to do: the checkpoint has {start} epochs and --epochs is {config.Epochs}");
                return CommandLine.Ok;
            }
        }
        else
        {
            run = RunFolder.Create(config.Out, config, DateTime.Now);
        }
        console.Out.WriteLine($"run folder: {run.Path}");
        trainer.Train(run, start);
        return CommandLine.Ok;
    }

    private static string AlphaText(TrainConfig c)
    {
        if (!Engine.ActivationCatalog.HasParameter(Engine.ActivationCatalog.Parse(c.Activation))) return "";
        string a = c.Alpha is { } v ? $"α={v}" : "default α";
        return $", {a}{(c.LearnableAlpha ? c.AlphaPerChannel ? ", learnable per channel" : ", learnable" : "")}";
    }
}
