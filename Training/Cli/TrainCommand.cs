// `activations train`: find the data, open the device, build the model, optionally resume, train.
using Activations.Engine;
using Activations.Training.Data;
using Activations.Training.Checkpoints;
using Activations.Training.Run;
using Activations.Kernels.Activations;

namespace Activations.Training.Cli;

public static class TrainCommand
{
    public static int Run(RunConfig config, Console2 console, IReadOnlyList<string>? args = null)
    {
        OptionValues.OutputFolder("--out", config.Out);
        using var device = Device.Create(config.Device);
        var locator = new DatasetLocator(config.Data, config.Mirror) { Log = console.Error, LiveProgress = console.Interactive };
        var data = TrainingData.Load(locator, config.Dataset, config.LimitTrain, config.LimitTest, config.Val, config.Augment, config.Seed,
            console.Error.WriteLine, config.ImageSize);
        console.Out.WriteLine($"training {config.Model} ({config.Activation}{AlphaText(config)}, init {config.Init}) on {config.Dataset}: " +
            $"{data.Train.Count} train / {(data.Validation is { } v ? $"{v.Count} validation / " : "")}{data.Test.Count} test images, {config.Epochs} epochs, batch {config.Batch}, " +
            $"{config.Optimizer} lr {config.Lr} ({config.Schedule}), seed {config.Seed}, device {device}");
        ITrainingProgress progress = console.Interactive ? new LiveProgress() : new NoProgress();
        using var trainer = new Trainer(config, device, data.Train, data.Test, console.Out, progress, data.Fill, data.Validation);
        if (config.InitFrom is { } weights) PyTorchWeights.InitFrom(trainer.Model, weights, console.Out);
        console.Out.WriteLine(Models.ModelSummary.Of(trainer.Model, device, (data.Train.Channels, data.Train.Height, data.Train.Width)).Format());
        var start = ResumePoint.Start;
        RunFolder run;
        bool created = config.Resume is null;
        if (config.Resume is { } ckpt)
        {
            start = trainer.Resume(ckpt);
            string? dir = Path.GetDirectoryName(Path.GetFullPath(ckpt));
            created = !RunFolder.IsRunFolder(dir);
            run = created ? RunFolder.Create(config.Out, config, DateTime.Now) : RunFolder.Continue(dir!, start.Epoch);
            console.Out.WriteLine($"resumed from {ckpt} after epoch {start.Epoch}" +
                (start.StepInEpoch > 0 ? $" and {start.StepInEpoch} of {trainer.StepsPerEpoch} steps of epoch {start.Epoch + 1}" : ""));
            if (start.Epoch >= config.Epochs)
            {
                console.Out.WriteLine($"nothing to do: the checkpoint has {start.Epoch} epochs and --epochs is {config.Epochs}");
                return CommandLine.Ok;
            }
        }
        else
        {
            run = RunFolder.Create(config.Out, config, DateTime.Now);
        }
        // The run folder's lock, held until the run ends: a second `train --resume` of this run, or a grid worker, is refused.
        using var claim = RunClaim.Acquire(run.Path, RunClaim.DefaultLease, console.Error.WriteLine);
        console.Out.WriteLine($"run folder: {run.Path}");
        using var signals = new StopSignals(console.Error);
        try
        {
            trainer.Train(run, start, signals.Token);
            if (new RunResult { Epochs = run.Metrics }.BestValEpoch is int best && run.Metrics.First(m => m.Epoch == best) is var at)
                console.Out.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"best validation epoch {best} (val acc {100 * at.ValAccuracy:F2}%): test acc {100 * at.TestAccuracy:F2}%, weights in {run.BestValCheckpoint}"));
        }
        catch (TrainingInterruptedException e)
        {
            console.Out.WriteLine(e.Message);
            if (e.Checkpoint is { } saved)
                console.Out.WriteLine($"checkpoint: {saved}\nto resume, run the same command with --resume: {ResumeCommand(args, saved)}");
            else
                console.Out.WriteLine("no checkpoint was written yet: start the run again");
            return signals.ExitCode;
        }
        catch (NumericalFaultException) when (created && !File.Exists(run.Checkpoint))
        {
            // A run that faulted before its first checkpoint has nothing to resume or report.
            Directory.Delete(run.Path, recursive: true);
            console.Out.WriteLine($"removed the run folder {run.Path}: the run saved nothing");
            throw;
        }
        return CommandLine.Ok;
    }

    /// <summary>The command line that resumes: the given arguments without any --resume, plus --resume <paramref name="checkpoint"/>.</summary>
    public static string ResumeCommand(IReadOnlyList<string>? args, string checkpoint)
    {
        var kept = new List<string>();
        var given = args ?? [];
        for (int i = 0; i < given.Count; i++)
        {
            if (given[i] == "--resume") { i++; continue; }
            if (given[i].StartsWith("--resume=", StringComparison.Ordinal)) continue;
            kept.Add(given[i]);
        }
        kept.AddRange(["--resume", checkpoint]);
        return "activations " + ShellQuote.Join(kept);
    }

    private static string AlphaText(RunConfig c)
    {
        if (!ActivationCatalog.Parse(c.Activation).HasParameter) return "";
        string a = c.Alpha is { } v ? $"α={v}" : "default α";
        return $", {a}{(c.LearnableAlpha ? c.AlphaPerChannel ? ", learnable per channel" : ", learnable" : "")}";
    }
}
