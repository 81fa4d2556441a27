// The training loop. Reads like its table of contents:
//   per epoch: upload the shuffled epoch (EpochBatcher) → for each batch, in its own TensorScope:
//   forward, loss, zero grads, backward, optimizer step → evaluate under NoGrad → metrics and an
//   atomic checkpoint.
// The epoch's training loss is summed on the device (no sync per step); the host reads it once
// per epoch, and every few steps only when a live progress bar wants it.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Activations.Engine;
using Activations.Engine.Autograd;
using Activations.Engine.Nn;
using Activations.Engine.Optim;
using Activations.Kernels.Tensor;
using Activations.Training.Checkpoints;
using Activations.Training.Data;

namespace Activations.Training.Run;

/// <summary>Shows training progress: the loop runs inside <see cref="RunEpoch"/>.</summary>
public interface ITrainingProgress
{
    /// <summary>Runs <paramref name="body"/>, which reports (steps done, loss if cheap to show).</summary>
    void RunEpoch(int epoch, int epochs, int steps, Action<Action<int, Func<float>?>> body);

    /// <summary>Whether the body should read the loss for display every few steps.</summary>
    bool WantsLoss { get; }
}

/// <summary>No live display (output is not a terminal): only the per-epoch lines.</summary>
public sealed class NoProgress : ITrainingProgress
{
    public bool WantsLoss => false;
    public void RunEpoch(int epoch, int epochs, int steps, Action<Action<int, Func<float>?>> body) => body((_, _) => { });
}

public sealed class Trainer : IDisposable
{
    /// <summary>
    /// Images per evaluation batch (or the training batch, if larger). Not more: a convolution's
    /// im2col matrix grows with the batch — 1000 CIFAR images through VGG's 64→128 conv need a
    /// 2.2 GiB buffer, more than PoCL will allocate at once (measured: out of device memory).
    /// </summary>
    public const int EvalBatch = 256;

    private readonly TrainConfig _config;
    private readonly Device _device;
    private readonly EpochBatcher _train, _test;
    private readonly TextWriter _out;
    private readonly ITrainingProgress _progress;
    private readonly LrSchedule _schedule;

    public Module Model { get; }
    public Optimizer Optimizer { get; }
    public int StepsPerEpoch => _train.BatchesPerEpoch;

    public Trainer(TrainConfig config, Device device, ImageSplit train, ImageSplit test, TextWriter output, ITrainingProgress progress,
        IEpochFill? trainFill = null)
    {
        _config = config;
        _device = device;
        _out = output;
        _progress = progress;
        Model = Models.ModelFactory.Create(config, device, train.ImageSize, train.Classes);
        Optimizer = TrainingOps.CreateOptimizer(config, Model.Parameters());
        _train = new EpochBatcher(device, train, config.Batch, config.Seed, shuffle: true, trainFill);
        _test = new EpochBatcher(device, test, Math.Max(EvalBatch, config.Batch), config.Seed, shuffle: false);
        _schedule = TrainingOps.CreateSchedule(config, _train.BatchesPerEpoch);
    }

    /// <summary>What a checkpoint holds of the model: parameters, then buffers (BatchNorm's running statistics).</summary>
    private IEnumerable<(string Name, Tensor Tensor)> ModelState => Model.NamedParameters().Concat(Model.NamedBuffers());

    private IEnumerable<(string Name, Tensor Tensor)> OptimizerState => Optimizer.State.Select(kv => (kv.Key, kv.Value));

    /// <summary>Loads a checkpoint into the model and optimizer; returns the number of completed epochs.</summary>
    public int Resume(string checkpoint)
    {
        var meta = Checkpoint.Load(checkpoint, ModelState, OptimizerState);
        if (!meta.TryGetValue("epoch", out var e) || !int.TryParse(e, NumberStyles.Integer, CultureInfo.InvariantCulture, out int epoch) || epoch < 0)
            throw new CheckpointException($"{checkpoint}: metadata has no valid 'epoch'");
        Dictionary<string, long>? steps = null;
        try
        {
            if (meta.TryGetValue("optimizer_steps", out var json)) steps = JsonSerializer.Deserialize<Dictionary<string, long>>(json);
        }
        catch (JsonException) { }
        foreach (var p in Optimizer.Parameters)
        {
            if (steps is null || !steps.TryGetValue(p.Name!, out long n) || n < 0)
                throw new CheckpointException($"{checkpoint}: metadata has no optimizer step count for '{p.Name}'");
            Optimizer.SetStep(p.Name!, n);
        }
        return epoch;
    }

    /// <summary>Trains epochs startEpoch+1..config.Epochs (1-based), writing metrics and checkpoints to <paramref name="run"/>.</summary>
    public IReadOnlyList<EpochMetrics> Train(RunFolder run, int startEpoch)
    {
        var results = new List<EpochMetrics>();
        run.WriteConfig(_config);
        for (int epoch = startEpoch + 1; epoch <= _config.Epochs; epoch++)
        {
            var sw = Stopwatch.StartNew();
            var (trainLoss, lr) = TrainEpoch(epoch);
            double seconds = sw.Elapsed.TotalSeconds;
            var (testLoss, accuracy) = Evaluate();
            var m = new EpochMetrics(epoch, trainLoss, testLoss, accuracy, seconds, _train.Count / Math.Max(seconds, 1e-9), (double)(decimal)lr);
            results.Add(m);
            run.Add(m);
            SaveCheckpoint(run.Checkpoint, epoch);
            _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch}/{_config.Epochs}  train loss {trainLoss:F4}  test loss {testLoss:F4}  test acc {100 * accuracy:F2}%  {seconds:F1} s  {m.ImagesPerSec:F0} img/s"));
        }
        return results;
    }

    private (double Loss, float Lr) TrainEpoch(int epoch)
    {
        int steps = _train.BatchesPerEpoch;
        var axpy = _device.Kernels.Get<AffineKernels>();
        using var lossSum = Tensor.Zeros(_device, 1);
        lossSum.KeepAlive = true;
        float lr = _config.Lr;
        Model.Train();
        _progress.RunEpoch(epoch, _config.Epochs, steps, report =>
        {
            int i = 0;
            foreach (var batch in _train.Epoch(epoch - 1))
            {
                long step = (long)(epoch - 1) * steps + i;
                lr = (float)_schedule.At(step);
                Optimizer.LearningRate = lr;
                float lossNow = float.NaN;
                using (TensorScope.Begin())
                {
                    var logits = Model.Forward(batch.Images);
                    var loss = Tensor.SoftmaxCrossEntropy(logits, batch.Labels);
                    Optimizer.ZeroGrad();
                    loss.Backward();
                    Optimizer.Step();
                    axpy.Axpy(loss.View, lossSum.View, batch.Count);
                    if (_progress.WantsLoss && (i % 20 == 0 || i == steps - 1)) lossNow = loss.Item();
                }
                batch.Dispose();
                i++;
                float shown = lossNow;
                report(i, float.IsNaN(shown) ? null : () => shown);
            }
        });
        return ((double)lossSum.Item() / _train.Count, lr);
    }

    /// <summary>Mean test loss and accuracy, under NoGrad.</summary>
    public (double Loss, double Accuracy) Evaluate()
    {
        using var _ = GradMode.NoGrad();
        Model.Eval();
        using var lossSum = Tensor.Zeros(_device, 1);
        lossSum.KeepAlive = true;
        using var correct = Tensor.Zeros(_device, 1);
        correct.KeepAlive = true;
        var axpy = _device.Kernels.Get<AffineKernels>();
        foreach (var batch in _test.Epoch(0))
        {
            using (TensorScope.Begin())
            {
                var logits = Model.Forward(batch.Images);
                var loss = Tensor.SoftmaxCrossEntropy(logits, batch.Labels);
                axpy.Axpy(loss.View, lossSum.View, batch.Count);
                axpy.Axpy(Tensor.CorrectCount(logits, batch.Labels).View, correct.View, 1f);
            }
            batch.Dispose();
        }
        int n = Math.Max(1, _test.Count);
        return ((double)lossSum.Item() / n, Math.Round(correct.Item()) / n);
    }

    private void SaveCheckpoint(string path, int epoch)
    {
        var meta = new Dictionary<string, string>
        {
            ["format"] = "activations-checkpoint-1",
            ["epoch"] = epoch.ToString(CultureInfo.InvariantCulture),
            ["step"] = ((long)epoch * StepsPerEpoch).ToString(CultureInfo.InvariantCulture),
            ["seed"] = _config.Seed.ToString(CultureInfo.InvariantCulture),
            ["device"] = _device.Key,
            ["config"] = _config.ToJson(),
            ["optimizer"] = _config.Optimizer,
            ["optimizer_steps"] = JsonSerializer.Serialize(Optimizer.Parameters.ToDictionary(p => p.Name!, p => Optimizer.GetStep(p.Name!))),
        };
        Checkpoint.Save(path, ModelState, OptimizerState, meta);
    }

    public void Dispose()
    {
        _train.Dispose();
        _test.Dispose();
        Optimizer.Dispose();
        Model.Dispose();
    }
}
