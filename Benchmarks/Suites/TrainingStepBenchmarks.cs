// One full training step per accelerator and model, as Training/Run/Trainer.cs runs it: in one
// TensorScope, forward, softmax cross-entropy, ZeroGrad, backward and the optimizer step (the run's
// defaults: ReLU, PyTorch's init, SGD lr 0.01 momentum 0.9), for mlp, cnn, lenet and vgg built by
// Training/Models/ModelFactory, on a fixed synthetic batch of the data set's image shape (a per-class
// pattern plus noise) at the training batch (64; LeNet 32; smaller for cnn and vgg in quick mode).
// Before timing, a few warm-up steps on that batch must give finite losses that decrease.
// Throughput is images per second.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Activations.Engine;
using Activations.Engine.Nn;
using Activations.Engine.Optim;
using Activations.Training.Models;
using Activations.Training.Run;

namespace Activations.Benchmarks.Suites;

public class TrainingStepBenchmarks : DeviceSuite, IWorkCount
{
    private const int Classes = 10, WarmupSteps = 5;

    private Module _model = null!;
    private Optimizer _optimizer = null!;
    private Tensor _images = null!;
    private IntBuffer _labels = null!;

    /// <summary>"cnn b64": the model and its batch.</summary>
    public static IEnumerable<string> Models => ModelFactory.Names.Select(m => BenchSizes.WithBatch(m, m));

    [ParamsSource(nameof(Models))] public string Model { get; set; } = "mlp b64";

    [GlobalSetup]
    public void Setup()
    {
        _device = BenchDevices.Get(Device);
        var (model, batch) = BenchSizes.Split(Model);
        var config = new RunConfig { Model = model, Dataset = ModelFactory.DefaultDataset(model), Batch = batch };
        var (c, h, w) = ModelFactory.InputShape(config.Dataset);
        int size = c * h * w;
        _model = ModelFactory.Create(config, _device, size, Classes);
        _optimizer = TrainingOps.CreateOptimizer(config, _model.Parameters());
        _model.Train();

        var labels = Enumerable.Range(0, batch).Select(i => (int)(CounterRng.Hash(51, (ulong)i) % Classes)).ToArray();
        var noise = CounterRng.Normal(52, batch * size, 0f, 0.5f);
        var patterns = CounterRng.Normal(53, Classes * size, 0f, 1f);
        var images = new float[batch * size];
        for (int i = 0; i < batch; i++)
            for (int k = 0; k < size; k++)
                images[i * size + k] = patterns[labels[i] * size + k] + noise[i * size + k];
        _images = Tensor.FromArray(_device, images, batch, c, h, w);
        _labels = IntBuffer.FromArray(_device, labels);

        var losses = new float[WarmupSteps];
        for (int s = 0; s < WarmupSteps; s++) losses[s] = TrainStep(readLoss: true);
        if (!losses.All(float.IsFinite) || !(losses[^1] < losses[0]))
            throw new InvalidOperationException(
                $"training step of {Model} on {Device}: the loss over {WarmupSteps} steps on a fixed batch should be finite and fall; got {string.Join(", ", losses)}");
    }

    /// <summary>One step as the Trainer runs it; returns the loss when asked (a host read, so not when timed).</summary>
    private float TrainStep(bool readLoss)
    {
        using (TensorScope.Begin())
        {
            var logits = _model.Forward(_images);
            var loss = Tensor.SoftmaxCrossEntropy(logits, _labels);
            _optimizer.ZeroGrad();
            loss.Backward();
            _optimizer.Step();
            return readLoss ? loss.Item() : float.NaN;
        }
    }

    [Benchmark(Description = "training step")]
    public void Step()
    {
        TrainStep(readLoss: false);
        _device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _optimizer?.Dispose();
        _model?.Dispose();
        _images?.Dispose();
        _labels?.Dispose();
    }

    public (double, double, string) Work(BenchmarkCase b) =>
        (BenchSizes.Split((string)b.Parameters["Model"]).Batch, 1, "images/s");
}
