// Activation forward+backward throughput per accelerator, 1M and 16M elements, for every activation in
// the catalog; those with a hand-written backward are also timed with the backward derived by dual
// numbers ("talu (derived)"), which is what the derived path costs. Each case is validated against
// the double-precision reference (value and slope) in GlobalSetup before it
// is timed, and the accelerator is synchronised inside the measured region.
using Activations.Kernels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Activations.Engine;
using Activations.Kernels.Activations;

namespace Activations.Benchmarks.Suites;

public class ActivationBenchmarks : DeviceSuite, IWorkCount
{
    private const string Derived = " (derived)";
    private Tensor _x = null!, _y = null!, _dy = null!, _dx = null!, _p = null!;
    private Action _step = null!;

    /// <summary>
    /// Every activation (or those named in ACTIVATIONS_BENCH_ACTIVATIONS, e.g. "talu,exlu"), and
    /// "name (derived)" for those whose backward is hand-written.
    /// </summary>
    public static IEnumerable<string> Activations =>
        (Environment.GetEnvironmentVariable("ACTIVATIONS_BENCH_ACTIVATIONS") is { Length: > 0 } only
            ? only.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(ActivationCatalog.Parse)
            : ActivationCatalog.All)
        .SelectMany(a => a.HasBackward ? [a.Name, a.Name + Derived] : new[] { a.Name });

    /// <summary>1M and 16M elements; 1M only in quick mode.</summary>
    public static IEnumerable<int> Sizes => BenchConfig.Quick ? [1 << 20] : [1 << 20, 1 << 24];

    [ParamsSource(nameof(Activations))] public string Activation { get; set; } = "talu";

    [ParamsSource(nameof(Sizes))] public int Elements { get; set; } = 1 << 20;

    [GlobalSetup]
    public void Setup()
    {
        _device = BenchDevices.Get(Device);
        var host = CounterRng.Uniform(11, Elements, -4f, 4f);
        _x = Tensor.FromArray(_device, host, Elements);
        _y = Tensor.Empty(_device, Elements);
        _dy = Tensor.Full(_device, 1f, Elements);
        _dx = Tensor.Empty(_device, Elements);
        bool derived = Activation.EndsWith(Derived, StringComparison.Ordinal);
        var kind = ActivationCatalog.Parse(derived ? Activation[..^Derived.Length] : Activation);
        var p = kind.Defaults;
        _p = Tensor.FromArray(_device, p.Length == 0 ? [0f] : p, Math.Max(1, p.Length));
        _step = kind.Accept(new Bind(this, derived));
        _step();
        var ys = _y.ToArray();
        var dxs = _dx.ToArray();
        var pd = p.Select(v => (double)v).ToArray();
        var (rel, abs) = Tolerances.Transcendental(_device.Kind);
        for (int i = 0; i < host.Length; i += 997)
        {
            double ry = kind.Reference(host[i], pd), rd = kind.ReferenceDerivative(0, host[i], pd);
            if (!(Math.Abs(ys[i] - ry) <= abs + rel * Math.Abs(ry)) || !(Math.Abs(dxs[i] - rd) <= abs + rel * Math.Abs(rd)))
                throw new InvalidOperationException($"{Activation} on {Device} disagrees with its reference at x = {host[i]}: y {ys[i]} vs {ry}, dy/dx {dxs[i]} vs {rd}");
        }
    }

    private sealed record Bind(ActivationBenchmarks B, bool Derived) : IActivationVisitor<Action>
    {
        public Action Visit<T>() where T : struct, IActivation
        {
            var k = B._device.Kernels.Get<ActivationKernels<T>>();
            var (b, derived) = (B, Derived);
            return () =>
            {
                k.Forward(b._x.View, b._y.View, b._p.View);
                k.Backward(b._x.View, b._y.View, b._dy.View, b._dx.View, b._p.View, derived: derived);
            };
        }
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
        foreach (var t in new[] { _x, _y, _dy, _dx, _p }) t?.Dispose();
    }

    public (double, double, string) Work(BenchmarkCase b) =>
        ((int)b.Parameters["Elements"], 1e6, "M elem/s");
}
