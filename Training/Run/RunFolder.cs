// A run's folder: runs/<yyyyMMdd-HHmmss>-<model>-<activation>-s<seed>/ holding config.json,
// metrics.csv and metrics.json (one row per epoch) and checkpoint.safetensors (the latest epoch).
// Every file is replaced atomically (temporary file, flush, rename), so a run killed at any moment
// leaves readable files behind.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Activations.Training.Run;

/// <summary>One epoch's numbers, as written to metrics.csv/json.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TestLoss, double TestAccuracy,
    double Seconds, double ImagesPerSec, double Lr);

public sealed class RunFolder
{
    public const string ConfigFile = "config.json", MetricsCsv = "metrics.csv", MetricsJson = "metrics.json", CheckpointFile = "checkpoint.safetensors";

    public string Path { get; }
    public List<EpochMetrics> Metrics { get; } = new();

    private RunFolder(string path) => Path = path;

    public string Checkpoint => System.IO.Path.Combine(Path, CheckpointFile);

    /// <summary>A new folder under <paramref name="outRoot"/> named after the time, model, activation and seed.</summary>
    public static RunFolder Create(string outRoot, TrainConfig config, DateTime now)
    {
        string baseName = $"{now:yyyyMMdd-HHmmss}-{config.Model}-{config.Activation}-s{config.Seed}";
        string path = System.IO.Path.GetFullPath(System.IO.Path.Combine(outRoot, baseName));
        for (int i = 2; Directory.Exists(path); i++)
            path = System.IO.Path.GetFullPath(System.IO.Path.Combine(outRoot, $"{baseName}-{i}"));
        Directory.CreateDirectory(path);
        return new RunFolder(path);
    }

    /// <summary>The folder of an earlier run, keeping its metrics for epochs ≤ <paramref name="completedEpochs"/>.</summary>
    public static RunFolder Continue(string path, int completedEpochs)
    {
        var folder = new RunFolder(System.IO.Path.GetFullPath(path));
        string json = System.IO.Path.Combine(folder.Path, MetricsJson);
        if (File.Exists(json))
        {
            try
            {
                var rows = JsonSerializer.Deserialize<List<EpochMetrics>>(File.ReadAllText(json), TrainConfig.Json) ?? [];
                folder.Metrics.AddRange(rows.Where(r => r.Epoch <= completedEpochs));
            }
            catch (JsonException) { /* unreadable history: start the metrics afresh */ }
        }
        return folder;
    }

    /// <summary>True when <paramref name="dir"/> looks like a run folder (has config.json).</summary>
    public static bool IsRunFolder(string? dir) => dir is not null && File.Exists(System.IO.Path.Combine(dir, ConfigFile));

    public void WriteConfig(TrainConfig config) => WriteAtomic(System.IO.Path.Combine(Path, ConfigFile), config.ToJson());

    public void Add(EpochMetrics m)
    {
        Metrics.RemoveAll(r => r.Epoch >= m.Epoch);
        Metrics.Add(m);
        var csv = new StringBuilder("epoch,train_loss,test_loss,test_accuracy,seconds,images_per_sec,lr\n");
        foreach (var r in Metrics)
            csv.AppendLine(string.Join(",", r.Epoch.ToString(CultureInfo.InvariantCulture), F(r.TrainLoss), F(r.TestLoss),
                F(r.TestAccuracy), F(r.Seconds), F(r.ImagesPerSec), F(r.Lr)));
        WriteAtomic(System.IO.Path.Combine(Path, MetricsCsv), csv.ToString());
        WriteAtomic(System.IO.Path.Combine(Path, MetricsJson), JsonSerializer.Serialize(Metrics, TrainConfig.Json));
    }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    public static void WriteAtomic(string path, string text)
    {
        string tmp = path + $".{Environment.ProcessId}.tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            fs.Write(Encoding.UTF8.GetBytes(text));
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
