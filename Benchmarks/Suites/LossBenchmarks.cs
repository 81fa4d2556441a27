// Softmax cross-entropy forward+backward per accelerator, through the engine's op as a training step
// runs it (Tensor.SoftmaxCrossEntropy: the fused kernel writes row losses and the saved gradient, a
// reduction takes the mean; backward scales the saved gradient by the upstream one): batches 64, 256
// and 1024 of 10 classes (MNIST, CIFAR-10) and 1024 × 1000. The loss and the gradient are validated
// against the double reference (Kernels/Loss/SoftmaxCrossEntropyReference) before timing. Throughput
// is GB/s of logits read (N·C·4 bytes per invocation). The sizes are small already: quick mode keeps them.
using Activations.Kernels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Activations.Engine;
using Activations.Kernels.Loss;

namespace Activations.Benchmarks.Suites;

public class LossBenchmarks : DeviceSuite, IWorkCount
{
    private Tensor _logits = null!;
    private IntBuffer _labels = null!;

    /// <summary>"NxC": rows (batch) × classes.</summary>
    [Params("64x10", "256x10", "1024x10", "1024x1000")] public string Shape { get; set; } = "64x10";

    [GlobalSetup]
    public void Setup()
    {
        _device = BenchDevices.Get(Device);
        var (n, classes) = Sizes(Shape);
        var z = CounterRng.Normal(31, n * classes, 0f, 3f);
        var y = Enumerable.Range(0, n).Select(i => (int)(CounterRng.Hash(32, (ulong)i) % (ulong)classes)).ToArray();
        _logits = Tensor.FromArray(_device, z, n, classes);
        _logits.Name = "logits";
        _logits.RequiresGrad = true;
        _labels = IntBuffer.FromArray(_device, y);
        float loss;
        using (TensorScope.Begin())
        {
            var l = Tensor.SoftmaxCrossEntropy(_logits, _labels);
            l.Backward();
            loss = l.Item();
        }
        var grad = _logits.Grad!.ToArray();
        var (refLoss, refGrad) = SoftmaxCrossEntropyReference.Compute(z.Select(v => (double)v).ToArray(), y, classes);
        // Ten times the transcendental bound: the loss and its gradient chain exp, a sum and a log.
        var (rel, abs) = Tolerances.Transcendental(_device.Kind);
        if (!(Math.Abs(loss - refLoss) <= abs + 10 * rel * Math.Abs(refLoss)))
            throw new InvalidOperationException($"softmax cross-entropy {Shape} on {Device}: loss {loss}, reference {refLoss}");
        for (int i = 0; i < grad.Length; i += Math.Max(1, grad.Length / 4096))
            if (!(Math.Abs(grad[i] - refGrad[i]) <= 10 * rel * (Math.Abs(refGrad[i]) + 1.0 / n)))
                throw new InvalidOperationException(
                    $"softmax cross-entropy {Shape} on {Device} disagrees with its reference gradient at {i}: {grad[i]} vs {refGrad[i]}");
    }

    private static (int N, int C) Sizes(string shape)
    {
        var d = shape.Split('x').Select(int.Parse).ToArray();
        return (d[0], d[1]);
    }

    [Benchmark(Description = "forward+backward")]
    public void ForwardBackward()
    {
        _logits.ClearGrad();   // as the optimizer's ZeroGrad: the backward adopts a fresh gradient
        using (TensorScope.Begin()) Tensor.SoftmaxCrossEntropy(_logits, _labels).Backward();
        _device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _logits?.ClearGrad();
        _logits?.Dispose();
        _labels?.Dispose();
    }

    public (double, double, string) Work(BenchmarkCase b)
    {
        var (n, c) = Sizes((string)b.Parameters["Shape"]);
        return (4.0 * n * c, 1e9, "GB/s");
    }
}
