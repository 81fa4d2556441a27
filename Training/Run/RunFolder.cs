// A run's folder: runs/<yyyyMMdd-HHmmss>-<model>-<activation>-s<seed>/ (or GRID/<run id>/ in a
// study) holding config.json, metrics.csv and metrics.json (one row per epoch) and
// checkpoint.safetensors (the latest epoch); with --val, best-val.safetensors (the epoch of the best
// validation accuracy); confusion.json and per-class.md (ConfusionMatrix). A study grid adds:
//   run.json     the RunConfig, written before training starts
//   done.json    the completion marker, written atomically after training: config, metrics, finals
//   failed.json  the exception of a failed attempt (removed when a later attempt finishes)
// A grid run counts as finished exactly when done.json exists and parses. Every file is replaced
// atomically (AtomicFile), so a run killed at any moment leaves readable files behind.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Activations.Training.Run;

/// <summary>A finished run: where it lives, what it was, what it produced.</summary>
public sealed record RunRecord(string Folder, RunConfig Config, RunResult Result);

/// <summary>The content of done.json.</summary>
public sealed record DoneRecord
{
    public required RunConfig Config { get; init; }
    public required RunResult Result { get; init; }
    public DateTime FinishedUtc { get; init; }
    public double WallSeconds { get; init; }

    // Copies of the headline numbers, for a reader of the file; the report recomputes them.
    public double FinalTestAccuracy { get; init; }
    public int? BestValEpoch { get; init; }
    public double TestAccuracyAtBestVal { get; init; }
    public double FinalTrainLoss { get; init; }
}

/// <summary>The content of failed.json.</summary>
public sealed record FailedRecord(string Id, DateTime FailedUtc, string Error, string Detail);

public sealed partial class RunFolder
{
    public const string ConfigFile = "config.json", MetricsCsv = "metrics.csv", MetricsJson = "metrics.json", CheckpointFile = "checkpoint.safetensors";
    public const string RunFile = "run.json", DoneFile = "done.json", FailedFile = "failed.json";
    public const string BestValCheckpointFile = "best-val.safetensors", ConfusionFile = "confusion.json", PerClassFile = "per-class.md";

    public string Path { get; }
    public List<EpochMetrics> Metrics { get; } = new();

    private RunFolder(string path) => Path = path;

    public string Checkpoint => System.IO.Path.Combine(Path, CheckpointFile);
    public string BestValCheckpoint => System.IO.Path.Combine(Path, BestValCheckpointFile);

    /// <summary>A new folder under <paramref name="outRoot"/> named after the time, model, activation and seed.</summary>
    public static RunFolder Create(string outRoot, RunConfig config, DateTime now)
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
                var rows = JsonSerializer.Deserialize<List<EpochMetrics>>(File.ReadAllText(json), RunJson.Options) ?? [];
                folder.Metrics.AddRange(rows.Where(r => r.Epoch <= completedEpochs));
            }
            catch (JsonException) { /* unreadable history: start the metrics afresh */ }
        }
        return folder;
    }

    /// <summary>True when <paramref name="dir"/> looks like a run folder (has config.json).</summary>
    public static bool IsRunFolder(string? dir) => dir is not null && File.Exists(System.IO.Path.Combine(dir, ConfigFile));

    public void WriteConfig(RunConfig config) => AtomicFile.WriteText(System.IO.Path.Combine(Path, ConfigFile), config.ToJson(), flushToDisk: true);

    public void Add(EpochMetrics m)
    {
        Metrics.RemoveAll(r => r.Epoch >= m.Epoch);
        Metrics.Add(m);
        bool val = Metrics.Any(r => r.ValAccuracy is not null);
        var csv = new StringBuilder("epoch,train_loss,test_loss,test_accuracy,seconds,images_per_sec,lr" + (val ? ",val_loss,val_accuracy\n" : "\n"));
        foreach (var r in Metrics)
            csv.AppendLine(string.Join(",", r.Epoch.ToString(CultureInfo.InvariantCulture), F(r.TrainLoss), F(r.TestLoss),
                F(r.TestAccuracy), F(r.Seconds), F(r.ImagesPerSec), F(r.Lr)) + (val ? $",{F(r.ValLoss)},{F(r.ValAccuracy)}" : ""));
        AtomicFile.WriteText(System.IO.Path.Combine(Path, MetricsCsv), csv.ToString(), flushToDisk: true);
        AtomicFile.WriteText(System.IO.Path.Combine(Path, MetricsJson), JsonSerializer.Serialize(Metrics, RunJson.Options), flushToDisk: true);
    }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    private static string F(double? v) => v is double d ? F(d) : "";

    public static bool IsDone(string folder) => File.Exists(System.IO.Path.Combine(folder, DoneFile));

    /// <summary>Writes done.json atomically.</summary>
    public static void WriteDone(string folder, RunConfig config, RunResult result, double wallSeconds) =>
        RunJson.WriteAtomic(System.IO.Path.Combine(folder, DoneFile), new DoneRecord
        {
            Config = config,
            Result = result,
            FinishedUtc = DateTime.UtcNow,
            WallSeconds = wallSeconds,
            FinalTestAccuracy = result.FinalTestAccuracy,
            BestValEpoch = result.BestValEpoch,
            TestAccuracyAtBestVal = result.TestAccuracyAtBestVal,
            FinalTrainLoss = result.FinalTrainLoss,
        });

    public static DoneRecord ReadDone(string folder) => RunJson.Read<DoneRecord>(System.IO.Path.Combine(folder, DoneFile));
}
