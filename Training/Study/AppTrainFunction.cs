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
    private readonly Dictionary<string, (ImageSplit Train, ImageSplit Test, IEpochFill? Fill)> _data = new();

    private (ImageSplit, ImageSplit, IEpochFill?) Data(string dataset, ulong seed)
    {
        string key = dataset == "cifar10" ? $"{dataset}/{seed}" : dataset;
        if (_data.TryGetValue(key, out var d)) return d;
        var loaded = DatasetSource.Load(dataset, locator, limitTrain, limitTest, augment: false, seed, log: log.WriteLine);
        return _data[key] = (loaded.Train, loaded.Test, loaded.Fill);
    }

    public RunResult Train(RunConfig rc, string runFolder, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        var config = rc with { Device = device.Key, LimitTrain = limitTrain, LimitTest = limitTest };
        var (train, test, fill) = Data(config.Dataset, config.Seed);
        log.WriteLine($"run {rc.Id}");
        Directory.CreateDirectory(runFolder);
        // An interrupted run continues from its checkpoint (mid-epoch if it was stopped there); one that cannot be loaded is retrained.
        var trainer = new Trainer(config, device, train, test, log, new NoProgress(), fill);
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
                    trainer = new Trainer(config, device, train, test, log, new NoProgress(), fill);
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
