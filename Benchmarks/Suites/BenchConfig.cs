// Shared BenchmarkDotNet set-up: accelerator parameters (every one present), a throughput column
// (M elements/s, GB/s or GFLOP/s from a per-benchmark work count) and Markdown/CSV/JSON exports.
using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Activations.Engine;

namespace Activations.Benchmarks.Suites;

/// <summary>A benchmark class that can say how much work one invocation does.</summary>
public interface IWorkCount
{
    /// <summary>(amount, unit divisor, unit name), e.g. (2·n³, 1e9, "GFLOP/s").</summary>
    (double Amount, double Scale, string Unit) Work(BenchmarkCase benchmark);
}

/// <summary>A suite timed on every accelerator present: the Device parameter and the accelerator it names (opened in the suite's set-up).</summary>
[Config(typeof(BenchConfig))]
public abstract class DeviceSuite
{
    protected Device _device = null!;

    public static IEnumerable<string> Devices => BenchDevices.Present();

    [ParamsSource(nameof(Devices))] public string Device { get; set; } = "cpu";
}

public static class BenchDevices
{
    private static readonly ConcurrentDictionary<string, Device> Open = new();

    /// <summary>Keys of every accelerator present: cpu always, opencl/cuda when usable.</summary>
    public static IEnumerable<string> Present()
    {
        var filter = Environment.GetEnvironmentVariable("ACTIVATIONS_BENCH_DEVICES");
        foreach (var d in Device.List().Where(d => d.Usable))
        {
            string kind = d.Key.Split(':')[0];
            if (filter is not null && !filter.Split(',').Contains(kind)) continue;
            if (d.Key.EndsWith(":0") || d.Key == "cpu") yield return kind;
        }
    }

    public static Device Get(string key) => Open.GetOrAdd(key, Device.Create);
}

public sealed class ThroughputColumn : IColumn
{
    public string Id => "Throughput";
    public string ColumnName => "Throughput";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "work per second (M elem/s, GB/s, GFLOP/s or images/s) from the mean time";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is null) return "-";
        if (Activator.CreateInstance(benchmarkCase.Descriptor.Type) is not IWorkCount w) return "-";
        var (amount, scale, unit) = w.Work(benchmarkCase);
        double seconds = report.ResultStatistics.Mean / 1e9;
        double rate = amount / seconds / scale;
        // Three significant digits below 1 (small cases would all read 0.0), one decimal above.
        return rate < 1 ? $"{rate:G3} {unit}" : $"{rate:F1} {unit}";
    }
}

/// <summary>
/// Batch sizes of the models as they train (RunConfig's default 64; LeNet runs at 32), and the
/// smaller ones of quick mode (ACTIVATIONS_BENCH_QUICK=1), where a suite must finish in minutes on
/// the CPU accelerator.
/// </summary>
public static class BenchSizes
{
    public static int Batch(string model) => (model, BenchConfig.Quick) switch
    {
        ("lenet", _) => 32,
        ("cnn", true) => 16,
        ("vgg", true) => 8,
        _ => 64,
    };

    /// <summary>"vgg b64": a model-derived case name with its batch, as shown in the tables.</summary>
    public static string WithBatch(string name, string model) => $"{name} b{Batch(model)}";

    /// <summary>(name, batch) of a <see cref="WithBatch"/> string.</summary>
    public static (string Name, int Batch) Split(string value)
    {
        int at = value.LastIndexOf(" b", StringComparison.Ordinal);
        return (value[..at], int.Parse(value[(at + 2)..]));
    }
}

public sealed class BenchConfig : ManualConfig
{
    /// <summary>ACTIVATIONS_BENCH_QUICK=1: short jobs, and smaller sizes where a suite has them.</summary>
    public static bool Quick => Environment.GetEnvironmentVariable("ACTIVATIONS_BENCH_QUICK") == "1";

    public BenchConfig()
    {
        bool quick = Quick;
        // In process: devices and loaded kernels are shared across cases (kernels load once).
        var job = quick
            ? Job.ShortRun.WithWarmupCount(1).WithIterationCount(3).WithLaunchCount(1)
            : Job.Default.WithWarmupCount(3).WithIterationCount(10);
        AddJob(job.WithToolchain(InProcessEmitToolchain.Instance));
        AddColumn(new ThroughputColumn());
        AddExporter(JsonExporter.Full);
        AddColumnProvider(DefaultColumnProviders.Instance);
        WithOption(ConfigOptions.DisableOptimizationsValidator, true);
    }
}
