// Optimizer update throughput per accelerator: one Step of SGD with momentum (the training default:
// lr 0.01, μ 0.9), Adam (lr 1e-3) and AdamW (lr 1e-3, weight decay 0.01) through Engine/Optim, on one
// parameter of 1M and 16M elements (256K and 4M in quick mode). The first two steps from a fresh
// state are validated against a double host reference of PyTorch's rules before timing. Throughput is
// GB/s of memory traffic: SGD reads p, g, buf and writes buf, p (20 B per element); Adam/AdamW read
// p, g, m, v and write m, v, p (28 B per element).
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Activations.Engine;
using Activations.Engine.Optim;
using Activations.Kernels;
using Activations.Kernels.Optim;

namespace Activations.Benchmarks.Suites;

public class OptimizerBenchmarks : DeviceSuite, IWorkCount
{
    private Tensor _p = null!, _g = null!;
    private Optimizer _optimizer = null!;

    public static IEnumerable<int> Sizes => BenchConfig.Quick ? [1 << 18, 1 << 22] : [1 << 20, 1 << 24];

    [Params("sgd", "adam", "adamw")] public string Optimizer { get; set; } = "sgd";

    [ParamsSource(nameof(Sizes))] public int Elements { get; set; } = 1 << 20;

    [GlobalSetup]
    public void Setup()
    {
        _device = BenchDevices.Get(Device);
        var p = CounterRng.Uniform(41, Elements, -1f, 1f);
        var g = CounterRng.Uniform(42, Elements, -1f, 1f);
        _p = Tensor.FromArray(_device, p, Elements);
        _p.Name = "weight";
        _p.RequiresGrad = true;
        _g = Tensor.FromArray(_device, g, Elements);
        _p.Backward(_g);   // the parameter's gradient: a copy of g
        _optimizer = Optimizer switch
        {
            "sgd" => new Sgd([_p], 0.01f, momentum: 0.9f),
            "adam" => new Adam([_p], 1e-3f),
            _ => Adam.AdamW([_p], 1e-3f),
        };
        var reference = new HostReference(_optimizer, p, g);
        for (int step = 1; step <= 2; step++)
        {
            _optimizer.Step();
            reference.Step(step);
            var got = _p.ToArray();
            for (int i = 0; i < Elements; i += 101)
                if (!(Math.Abs(got[i] - reference.P[i]) <= Tolerances.TranscendentalAbs + Tolerances.TranscendentalRel * Math.Abs(reference.P[i])))
                    throw new InvalidOperationException(
                        $"{Optimizer} step {step} on {Device} ({Elements}) disagrees with its reference at {i}: {got[i]} vs {reference.P[i]}");
        }
    }

    /// <summary>One parameter's state under Kernels' OptimizerReference, stepped beside the engine's optimizer.</summary>
    private sealed class HostReference(Optimizer optimizer, float[] p, float[] g)
    {
        public readonly double[] P = p.Select(v => (double)v).ToArray();
        private readonly double[] _g = g.Select(v => (double)v).ToArray();
        private readonly double[] _m = new double[p.Length], _v = new double[p.Length];

        public void Step(int t)
        {
            double lr = optimizer.LearningRate;
            if (optimizer is Sgd sgd)
                OptimizerReference.Sgd(P, _g, _m, t, lr, sgd.Momentum, sgd.Dampening, sgd.WeightDecay, sgd.Nesterov);
            else if (optimizer is Adam a)
                OptimizerReference.Adam(P, _g, _m, _v, t, lr, a.Beta1, a.Beta2, a.Epsilon, a.WeightDecay, a.DecoupledWeightDecay);
        }
    }

    [Benchmark(Description = "step")]
    public void Step()
    {
        _optimizer.Step();
        _device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _optimizer?.Dispose();
        _p?.ClearGrad();
        _p?.Dispose();
        _g?.Dispose();
    }

    public (double, double, string) Work(BenchmarkCase b)
    {
        double bytesPerElement = (string)b.Parameters["Optimizer"] == "sgd" ? 20 : 28;
        return (bytesPerElement * (int)b.Parameters["Elements"], 1e9, "GB/s");
    }
}
