// Activation forward+backward throughput per accelerator, 1M and 16M elements. Each case is
// validated against the double-precision reference in GlobalSetup before it is timed, and the
// accelerator is synchronised inside the measured region.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Activations.Engine;
using Activations.Kernels.Activations;

namespace Activations.Benchmarks.Suites;

[Config(typeof(BenchConfig))]
public class ActivationBenchmarks : IWorkCount
{
    private Device _device = null!;
    private Tensor _x = null!, _y = null!, _dy = null!, _dx = null!, _alpha = null!;
    private Action _step = null!;

    public static IEnumerable<string> Devices => BenchDevices.Present();

    [ParamsSource(nameof(Devices))] public string Device { get; set; } = "cpu";

    [Params("relu", "talu", "exlu", "gelu")] public string Activation { get; set; } = "talu";

    [Params(1 << 20, 1 << 24)] public int Elements { get; set; } = 1 << 20;

    [GlobalSetup]
    public void Setup()
    {
        _device = BenchDevices.Get(Device);
        var host = CounterRng.Uniform(11, Elements, -4f, 4f);
        _x = Tensor.FromArray(_device, host, Elements);
        _y = Tensor.Empty(_device, Elements);
        _dy = Tensor.Full(_device, 1f, Elements);
        _dx = Tensor.Empty(_device, Elements);
        var kind = ActivationCatalog.Parse(Activation);
        float a = kind == ActivationKind.ExLU ? 0.2f : ActivationCatalog.DefaultParameter(kind);
        _alpha = Tensor.FromArray(_device, [a], 1);
        _step = kind switch
        {
            ActivationKind.ReLU => Bind<ReLU>(host, a),
            ActivationKind.TaLU => Bind<TaLU>(host, a),
            ActivationKind.ExLU => Bind<ExLU>(host, a),
            _ => Bind<GELU>(host, a),
        };
    }

    private Action Bind<T>(float[] host, float a) where T : struct, IActivation
    {
        var k = _device.Kernels.Get<ActivationKernels<T>>();
        void Step()
        {
            k.Forward(_x.View, _y.View, _alpha.View);
            k.Backward(_x.View, _y.View, _dy.View, _dx.View, _alpha.View);
        }
        Step();
        var ys = _y.ToArray();
        var dxs = _dx.ToArray();
        for (int i = 0; i < host.Length; i += 997)
        {
            double ry = T.ForwardReference(host[i], a), rd = T.BackwardReference(host[i], a);
            if (Math.Abs(ys[i] - ry) > 2e-3 * (1 + Math.Abs(ry)) || Math.Abs(dxs[i] - rd) > 2e-3 * (1 + Math.Abs(rd)))
                throw new InvalidOperationException($"{T.Name} on {Device} disagrees with its reference at {i}");
        }
        return Step;
    }

    [Benchmark(Description = "forward+backward")]
    public void ForwardBackward()
    {
        _step();
        _device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in new[] { _x, _y, _dy, _dx, _alpha }) t?.Dispose();
    }

    public (double, double, string) Work(BenchmarkCase b) =>
        ((int)b.Parameters["Elements"], 1e6, "M elem/s");
}
