// The study's TrainFunction backed by the app's own Trainer: one configuration trained in process on
// a shared device, into the run folder the grid chose. Every run with the same seed starts from the
// same weights (Init seeds each parameter from the run seed and its name) and sees the same data
// order (EpochBatcher permutes with seed + epoch), whatever the activation.
using Activations.Engine;
using Activations.Training.Data;
using Activations.Training.Checkpoints;
using Activations.Training.Run;

namespace Activations.Training.Study;

public sealed class AppTrainFunction(Device device, DatasetLocator locator, int limitTrain, int limitTest, TextWriter log)
{
    // A grid runs seed-major, so the data of one seed serves every configuration before the next seed
    // needs its own split: only the latest is kept (a CIFAR-10 training set is 600 MB of floats).
    private (string Key, TrainingData Data)? _data;

    private TrainingData Data(RunConfig c)
    {
        // The seed picks the --val split and CIFAR-10's augmentation; otherwise one load serves every seed.
        string key = $"{c.Dataset}/{c.Val}/{c.Augment}/{(c.Val > 0 || c.Dataset == "cifar10" ? c.Seed : "any")}";
        if (_data is { } d && d.Key == key) return d.Data;
        _data = null;
        var data = TrainingData.Load(locator, c.Dataset, limitTrain, limitTest, c.Val, c.Augment, c.Seed, log.WriteLine, c.ImageSize);
        _data = (key, data);
        return data;
    }

    /// <summary>Loads the data of <paramref name="first"/> before any run starts: a --val too large for the data is a usage error now, not a failed run.</summary>
    public void Prepare(RunConfig first) => Data(first with { LimitTrain = limitTrain, LimitTest = limitTest });

    public RunResult Train(RunConfig rc, string runFolder, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        var config = rc with { Device = device.Key, LimitTrain = limitTrain, LimitTest = limitTest };
        var data = Data(config);
        log.WriteLine($"run {rc.Id}");
        Directory.CreateDirectory(runFolder);
        // An interrupted run continues from its checkpoint (mid-epoch if it was stopped there); one that cannot be loaded is retrained.
        var trainer = new Trainer(config, device, data.Train, data.Test, log, new NoProgress(), data.Fill, data.Validation);
        try
        {
            var start = ResumePoint.Start;
            string checkpoint = Path.Combine(runFolder, RunFolder.CheckpointFile);
            if (File.Exists(checkpoint))
            {
                try
                {
                    start = trainer.Resume(checkpoint);
                    if (start.Epoch >= config.Epochs) start = new ResumePoint(config.Epochs);
                    log.WriteLine($"resumed {rc.Id} after epoch {start.Epoch}{(start.StepInEpoch > 0 ? $" and {start.StepInEpoch} steps" : "")}");
                }
                catch (Checkpoints.CheckpointException e)
                {
                    log.WriteLine($"retraining {rc.Id}: {e.Message}");
                    trainer.Dispose();
                    trainer = new Trainer(config, device, data.Train, data.Test, log, new NoProgress(), data.Fill, data.Validation);
                    start = ResumePoint.Start;
                }
            }
            var folder = RunFolder.Continue(runFolder, start.Epoch);
            trainer.Train(folder, start, cancellation);
            cancellation.ThrowIfCancellationRequested();
            IReadOnlyList<double>? alphas = rc.LearnableAlpha
                ? trainer.Model.NamedParameters().Where(p => p.Name.EndsWith("alpha", StringComparison.Ordinal))
                    .SelectMany(p => p.Tensor.ToArray()).Select(v => (double)v).ToList()
                : null;
            return new RunResult
            {
                Epochs = folder.Metrics.ToList(),
                FinalAlphas = alphas,
            };
        }
        finally
        {
            trainer.Dispose();
        }
    }
}
