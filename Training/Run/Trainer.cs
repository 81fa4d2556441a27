// The training loop. Reads like its table of contents:
//   per epoch: upload the shuffled epoch (EpochBatcher) → for each batch, in its own TensorScope:
//   forward, loss, zero grads, backward, optimizer step → evaluate the test set (and the --val
//   images) under NoGrad → metrics, the test confusion matrix and an atomic checkpoint; with --val
//   also best-val.safetensors whenever validation accuracy beats every earlier epoch (ties keep the
//   earlier). Model selection never looks at the test set.
// The epoch's training loss is summed on the device (no sync per step); the host reads it once
// per epoch, and every few steps only when a live progress bar wants it.
//
// Faults and interruptions:
//   - A NonFiniteWatch records on the device the first step whose loss is NaN or ±Inf; every
//     CheckEvery steps and at the end of each epoch the host reads it and checks every gradient
//     and parameter. A fault stops the run (NumericalFaultException) naming the step and the first
//     layer where it shows, without writing a checkpoint: the last good one stays.
//   - A cancelled token (Ctrl-C, SIGTERM) is honoured after the step in progress: a checkpoint of
//     the state in mid-epoch (epoch, steps done, loss sum so far, optimizer state) is written
//     atomically and TrainingInterruptedException is thrown. Resuming from it skips the batches
//     already trained on and continues bit for bit as the uninterrupted run would have.
using System.Diagnostics;
using System.Globalization;
using Activations.Engine;
using Activations.Engine.Autograd;
using Activations.Engine.Nn;
using Activations.Engine.Optim;
using Activations.Training.Checkpoints;
using Activations.Training.Data;

namespace Activations.Training.Run;

public sealed class Trainer : IDisposable
{
    /// <summary>
    /// Images per evaluation batch (or the training batch, if larger). Not more: a convolution's
    /// im2col matrix grows with the batch — 1000 CIFAR images through VGG's 64→128 conv need a
    /// 2.2 GiB buffer, more than PoCL will allocate at once (measured: out of device memory).
    /// </summary>
    public const int EvalBatch = 256;

    private readonly RunConfig _config;
    private readonly Device _device;
    private readonly EpochBatcher _train, _test;
    private readonly EpochBatcher? _validation;
    private readonly ImageSplit _testSplit;
    private readonly TextWriter _out;
    private readonly ITrainingProgress _progress;
    private readonly LrSchedule _schedule;
    private readonly NonFiniteWatch _watch;
    private string? _lastGoodCheckpoint;

    public Module Model { get; }
    public Optimizer Optimizer { get; }
    public int StepsPerEpoch => _train.BatchesPerEpoch;

    public Trainer(RunConfig config, Device device, ImageSplit train, ImageSplit test, TextWriter output, ITrainingProgress progress,
        IEpochFill? trainFill = null, ImageSplit? validation = null)
    {
        _config = config;
        _device = device;
        _out = output;
        _progress = progress;
        Model = Models.ModelFactory.Create(config, device, (train.Channels, train.Height, train.Width), train.Classes);
        Optimizer = TrainingOps.CreateOptimizer(config, Model.Parameters());
        _train = new EpochBatcher(device, train, config.Batch, config.Seed, shuffle: true, trainFill);
        _test = new EpochBatcher(device, test, Math.Max(EvalBatch, config.Batch), config.Seed, shuffle: false);
        _testSplit = test;
        if (validation is not null) _validation = new EpochBatcher(device, validation, Math.Max(EvalBatch, config.Batch), config.Seed, shuffle: false);
        _schedule = TrainingOps.CreateSchedule(config, _train.BatchesPerEpoch);
        _watch = new NonFiniteWatch(device);
    }

    /// <summary>What a checkpoint holds of the model: parameters, then buffers (BatchNorm's running statistics).</summary>
    private IEnumerable<(string Name, Tensor Tensor)> ModelState => Model.NamedParameters().Concat(Model.NamedBuffers());

    private IEnumerable<(string Name, Tensor Tensor)> OptimizerState => Optimizer.State.Select(kv => (kv.Key, kv.Value));

    /// <summary>Loads a checkpoint into the model and optimizer; returns where training continues.</summary>
    public ResumePoint Resume(string checkpoint)
    {
        var meta = CheckpointMetadata.Parse(Checkpoint.Load(checkpoint, ModelState, OptimizerState), checkpoint);
        if (meta.Position.StepInEpoch > StepsPerEpoch)
            throw new CheckpointException($"{checkpoint}: stopped after step {meta.Position.StepInEpoch} of an epoch, but this data set and batch size give {StepsPerEpoch} steps per epoch");
        foreach (var p in Optimizer.Parameters)
        {
            if (!meta.OptimizerSteps.TryGetValue(p.Name!, out long n) || n < 0)
                throw new CheckpointException($"{checkpoint}: metadata has no optimizer step count for '{p.Name}'");
            Optimizer.SetStep(p.Name!, n);
        }
        _lastGoodCheckpoint = checkpoint;
        return meta.Position;
    }

    /// <summary>
    /// Trains from <paramref name="start"/> to config.Epochs (1-based epochs), writing metrics and
    /// checkpoints to <paramref name="run"/>. Throws TrainingInterruptedException when
    /// <paramref name="cancel"/> fires (after the step in progress and a checkpoint) and
    /// NumericalFaultException at a NaN or Inf.
    /// </summary>
    public IReadOnlyList<EpochMetrics> Train(RunFolder run, ResumePoint start, CancellationToken cancel = default)
    {
        var results = new List<EpochMetrics>();
        // config.json is written with the first result, so that a run refused or failed before it leaves the folder as it was.
        bool configWritten = false;
        void WriteConfigOnce()
        {
            if (!configWritten) run.WriteConfig(_config);
            configWritten = true;
        }
        if (File.Exists(run.Checkpoint)) _lastGoodCheckpoint ??= run.Checkpoint;
        var confusionPath = Path.Combine(run.Path, RunFolder.ConfusionFile);
        var bestConfusion = ConfusionFile.TryRead(confusionPath)?.BestVal is { } kept && kept.Epoch <= start.Epoch ? kept : null;
        for (int epoch = start.Epoch + 1; epoch <= _config.Epochs; epoch++)
        {
            var from = epoch == start.Epoch + 1 ? start : new ResumePoint(epoch - 1);
            if (cancel.IsCancellationRequested && from.StepInEpoch == 0)
                throw new TrainingInterruptedException($"interrupted before epoch {epoch}", _lastGoodCheckpoint);
            var (trainLoss, lr, seconds) = TrainEpoch(epoch, from, run, WriteConfigOnce, cancel);
            var (testLoss, accuracy, predictions) = Evaluate(_test, predict: true);
            var confusion = ConfusionMatrix.Count(epoch, _testSplit.Classes, _testSplit.Labels, predictions!);
            (double? valLoss, double? valAccuracy) = (null, null);
            if (_validation is not null)
            {
                var (l, a, _) = Evaluate(_validation, predict: false);
                (valLoss, valAccuracy) = (l, a);
            }
            var m = new EpochMetrics(epoch, trainLoss, testLoss, accuracy, seconds, _train.Count / Math.Max(seconds, 1e-9), (double)(decimal)lr,
                valLoss, valAccuracy);
            results.Add(m);
            WriteConfigOnce();
            bool bestVal = valAccuracy is double va && run.Metrics.Where(r => r.Epoch < epoch).All(r => !(r.ValAccuracy >= va));
            run.Add(m);
            if (bestVal)
            {
                SaveCheckpoint(run.BestValCheckpoint, epoch, 0, 0, 0);
                bestConfusion = confusion;
            }
            RunJson.WriteAtomic(confusionPath, new ConfusionFile(_testSplit.ClassNames, confusion, bestConfusion));
            string perClass = confusion.PerClassMarkdown(_testSplit.ClassNames, $"Per-class test accuracy after epoch {epoch} (the last)");
            if (bestConfusion is not null)
                perClass += "\n" + bestConfusion.PerClassMarkdown(_testSplit.ClassNames, $"Per-class test accuracy at epoch {bestConfusion.Epoch} (the best validation accuracy)");
            AtomicFile.WriteText(Path.Combine(run.Path, RunFolder.PerClassFile), perClass, flushToDisk: false);
            SaveCheckpoint(run.Checkpoint, epoch, 0, 0, 0);
            string val = valAccuracy is double v ? string.Create(CultureInfo.InvariantCulture, $"  val loss {valLoss:F4}  val acc {100 * v:F2}%{(bestVal ? " (best)" : "")}") : "";
            _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch}/{_config.Epochs}  train loss {trainLoss:F4}{val}  test loss {testLoss:F4}  test acc {100 * accuracy:F2}%  {seconds:F1} s  {m.ImagesPerSec:F0} img/s"));
        }
        return results;
    }

    private (double Loss, float Lr, double Seconds) TrainEpoch(int epoch, ResumePoint from, RunFolder run, Action writeConfig, CancellationToken cancel)
    {
        int steps = _train.BatchesPerEpoch;
        var sw = Stopwatch.StartNew();
        using var lossSum = Tensor.Zeros(_device, 1);
        lossSum.KeepAlive = true;
        if (from.StepInEpoch > 0) lossSum.CopyFrom([from.LossSum]);
        _watch.Reset();
        float lr = _config.Lr;
        int checkEvery = Math.Max(1, _config.CheckEvery);
        var parameters = Model.Parameters().ToList();
        Model.Train();
        _progress.RunEpoch(epoch, _config.Epochs, steps, report =>
        {
            int i = from.StepInEpoch;
            if (i > 0) report(i, null);
            foreach (var batch in _train.Epoch(epoch - 1, from.StepInEpoch))
            {
                long step = (long)(epoch - 1) * steps + i;
                lr = (float)_schedule.At(step);
                Optimizer.LearningRate = lr;
                float lossNow = float.NaN;
                using (TensorScope.Begin())
                {
                    var logits = Model.Forward(batch.Images);
                    var loss = Tensor.SoftmaxCrossEntropy(logits, batch.Labels, _config.LabelSmoothing);
                    _watch.Observe(loss, (int)Math.Min(step, int.MaxValue));
                    Optimizer.ZeroGrad();
                    loss.Backward();
                    if ((i + 1) % checkEvery == 0 || i + 1 == steps) CheckFinite(epoch, i, steps, loss);
                    if (_config.ClipGradNorm is { } maxNorm) Numerics.ClipGradNorm(parameters, maxNorm);
                    Optimizer.Step();
                    Model.ProjectParameters();
                    lossSum.AddScaledInPlace(loss, batch.Count);
                    if (_progress.WantsLoss && (i % 20 == 0 || i == steps - 1)) lossNow = loss.Item();
                }
                batch.Dispose();
                i++;
                float shown = lossNow;
                report(i, float.IsNaN(shown) ? null : () => shown);
                if (cancel.IsCancellationRequested)
                {
                    double seconds = from.Seconds + sw.Elapsed.TotalSeconds;
                    writeConfig();
                    SaveCheckpoint(run.Checkpoint, epoch - 1, i, lossSum.Item(), seconds);
                    throw new TrainingInterruptedException($"interrupted in epoch {epoch} after step {i} of {steps}", run.Checkpoint);
                }
            }
        });
        float sum = lossSum.Item();
        if (!float.IsFinite(sum)) CheckFinite(epoch, steps - 1, steps, null);
        return ((double)sum / _train.Count, lr, from.Seconds + sw.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Throws NumericalFaultException if the loss went non-finite at some step of this epoch, or a
    /// gradient or parameter is non-finite now; names the step and the first layer (in model order).
    /// </summary>
    private void CheckFinite(int epoch, int i, int steps, Tensor? loss)
    {
        int? badStep = _watch.FirstBadStep;
        var named = Model.NamedParameters().ToList();
        string? grad = Numerics.FirstNonFinite(named, gradients: true);
        string? value = Numerics.FirstNonFinite(named, gradients: false);
        if (badStep is null && grad is null && value is null) return;
        long step = (long)(epoch - 1) * steps + i;
        string where = badStep is int b
            ? $"the loss became {Describe(loss)} at step {b + 1} (epoch {epoch}, batch {b - (long)(epoch - 1) * steps + 1} of {steps})"
            : $"found at the check after step {step + 1} (epoch {epoch}, batch {i + 1} of {steps}; the loss was still finite)";
        string layer = grad is not null ? $"first non-finite gradient: '{grad}'" : value is not null ? $"first non-finite parameter: '{value}'" : "gradients and parameters still finite";
        if (grad is not null && value is not null && value != grad) layer += $"; first non-finite parameter: '{value}'";
        if (badStep is int first && first < step)
            layer += $" (seen {step - first} steps after the loss went bad, so it may have spread; --check-every 1 pinpoints the layer)";
        string keep = _lastGoodCheckpoint is null ? "no checkpoint was written yet" : $"the last good checkpoint is kept: {_lastGoodCheckpoint}";
        throw new NumericalFaultException(
            $"numerical fault: {where}; {layer}. Training stopped; {keep}. Try a lower --lr or --clip-grad-norm (e.g. 1)");
    }

    private static string Describe(Tensor? loss)
    {
        if (loss is null) return "NaN or infinite";
        float v = loss.Item();
        return float.IsNaN(v) ? "NaN" : float.IsInfinity(v) ? "infinite" : "NaN or infinite";
    }

    /// <summary>Mean test loss and accuracy, under NoGrad.</summary>
    public (double Loss, double Accuracy) Evaluate()
    {
        var (loss, accuracy, _) = Evaluate(_test, predict: false);
        return (loss, accuracy);
    }

    /// <summary>
    /// Mean loss (unsmoothed cross-entropy, whatever the training's label smoothing) and accuracy of
    /// <paramref name="data"/> under NoGrad; with <paramref name="predict"/>, also each image's predicted
    /// class (first maximal logit), read back per batch, and the accuracy counted from them on the host
    /// instead of a second argmax on the device; without it, nothing is read back until the end.
    /// </summary>
    private (double Loss, double Accuracy, int[]? Predictions) Evaluate(EpochBatcher data, bool predict)
    {
        using var _ = GradMode.NoGrad();
        Model.Eval();
        using var lossSum = Tensor.Zeros(_device, 1);
        lossSum.KeepAlive = true;
        using var correct = Tensor.Zeros(_device, 1);
        correct.KeepAlive = true;
        var predictions = predict ? new int[data.Count] : null;
        foreach (var batch in data.Epoch(0))
        {
            using (TensorScope.Begin())
            {
                var logits = Model.Forward(batch.Images);
                var loss = Tensor.SoftmaxCrossEntropy(logits, batch.Labels);
                lossSum.AddScaledInPlace(loss, batch.Count);
                if (predictions is null) correct.AddScaledInPlace(Tensor.CorrectCount(logits, batch.Labels));
                else logits.MaxWithIndices(1).Indices.CopyTo(predictions, batch.Start);
            }
            batch.Dispose();
        }
        int n = Math.Max(1, data.Count);
        double hits = predictions is null ? Math.Round(correct.Item()) : CountHits(predictions, data.EpochLabels);
        return ((double)lossSum.Item() / n, hits / n, predictions);
    }

    private static int CountHits(int[] predictions, ReadOnlySpan<int> labels)
    {
        int hits = 0;
        for (int i = 0; i < predictions.Length; i++) if (predictions[i] == labels[i]) hits++;
        return hits;
    }

    /// <summary>
    /// An atomic checkpoint after <paramref name="epoch"/> whole epochs and <paramref name="stepInEpoch"/>
    /// steps of the next (0 at an epoch's end), with that partial epoch's loss sum and seconds.
    /// </summary>
    private void SaveCheckpoint(string path, int epoch, int stepInEpoch, float lossSum, double seconds)
    {
        var meta = new CheckpointMetadata
        {
            Position = new ResumePoint(epoch, stepInEpoch, lossSum, seconds),
            Step = (long)epoch * StepsPerEpoch + stepInEpoch,
            Seed = _config.Seed,
            Device = _device.Key,
            Config = _config.ToJson(),
            Optimizer = _config.Optimizer,
            OptimizerSteps = Optimizer.Parameters.ToDictionary(p => p.Name!, p => Optimizer.GetStep(p.Name!)),
        };
        Checkpoint.Save(path, ModelState, OptimizerState, meta.ToDictionary());
        _lastGoodCheckpoint = path;
    }

    public void Dispose()
    {
        _watch.Dispose();
        _train.Dispose();
        _test.Dispose();
        _validation?.Dispose();
        Optimizer.Dispose();
        Model.Dispose();
    }
}
