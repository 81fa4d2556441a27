// Matmul throughput per accelerator and variant: square sizes and the shapes the models use
// (MLP fc1 forward 64×784·784×128, its weight gradient, MNIST CNN conv2 as im2col 12544×288·288×64).
// Each case is validated on sampled outputs against the double reference before it is timed.
using Activations.Kernels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Activations.Engine;
using Activations.Kernels.MatMul;

namespace Activations.Benchmarks.Suites;

public class MatMulBenchmarks : DeviceSuite, IWorkCount
{
    private Tensor _a = null!, _b = null!, _c = null!;
    private MatMulKernels _kernels = null!;
    private int _m, _n, _k;
    private bool _ta, _tb;

    /// <summary>"MxNxK".</summary>
    [Params("128x128x128", "512x512x512", "1024x1024x1024", "64x128x784", "128x784x64", "12544x64x288")]
    public string Shape { get; set; } = "512x512x512";

    [Params("AB", "AtB", "ABt")] public string Variant { get; set; } = "AB";

    [GlobalSetup]
    public void Setup()
    {
        _device = BenchDevices.Get(Device);
        var dims = Shape.Split('x').Select(int.Parse).ToArray();
        (_m, _n, _k) = (dims[0], dims[1], dims[2]);
        (_ta, _tb) = (Variant == "AtB", Variant == "ABt");
        var a = CounterRng.Uniform(1, _m * _k, -1f, 1f);
        var b = CounterRng.Uniform(2, _k * _n, -1f, 1f);
        _a = Tensor.FromArray(_device, a, a.Length);
        _b = Tensor.FromArray(_device, b, b.Length);
        _c = Tensor.Empty(_device, _m * _n);
        _kernels = _device.Kernels.Get<MatMulKernels>();
        Run();
        var c = _c.ToArray();
        for (int s = 0; s < 32; s++)
        {
            int i = (int)(CounterRng.Hash(3, (ulong)s) % (ulong)_m), j = (int)(CounterRng.Hash(4, (ulong)s) % (ulong)_n);
            var (value, scale) = MatMulReference.Entry(a, b, _m, _n, _k, _ta, _tb, i, j);
            if (!(Math.Abs(c[i * _n + j] - value) <= Tolerances.MatMulRel * scale + Tolerances.MatMulAbs))
                throw new InvalidOperationException($"matmul {Variant} {Shape} on {Device} disagrees with its reference at ({i}, {j})");
        }
    }

    private void Run() => _kernels.MatMul(_a.View, _b.View, _c.View, _m, _n, _k, _ta, _tb);

    [Benchmark(Description = "matmul")]
    public void MatMul()
    {
        Run();
        _device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a?.Dispose();
        _b?.Dispose();
        _c?.Dispose();
    }

    public (double, double, string) Work(BenchmarkCase b)
    {
        var d = ((string)b.Parameters["Shape"]).Split('x').Select(double.Parse).ToArray();
        return (2 * d[0] * d[1] * d[2], 1e9, "GFLOP/s");
    }
}
