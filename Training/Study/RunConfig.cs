// What one training run of a study is (RunConfig), what it produced (RunResult, one EpochMetrics
// per epoch), and the delegate that trains it. The study code never trains anything itself: the
// app passes a TrainFunction that trains one configuration into a folder and returns its metrics.
//
// Accuracies are fractions in 0..1 everywhere in this namespace; readers of foreign metrics files
// convert percentages (see RunFolder). Reports print them as percent, differences as "points".
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Activations.Training.Study;

/// <summary>
/// Trains <paramref name="config"/> writing whatever it likes into <paramref name="runFolder"/>
/// (which exists; after an interruption it still holds what the previous attempt left, e.g. a
/// checkpoint to resume from) and returns the per-epoch metrics. Throwing marks the run failed;
/// OperationCanceledException stops the grid and leaves the run unfinished.
/// </summary>
public delegate RunResult TrainFunction(RunConfig config, string runFolder, CancellationToken cancellation);

/// <summary>One configuration of a grid: every setting of one training run, seed included.</summary>
public sealed record RunConfig
{
    /// <summary>Stable id, e.g. "talu-a1-fixed-default-s3": also the run's folder name.</summary>
    public required string Id { get; init; }
    public required string Dataset { get; init; }
    public required string Model { get; init; }

    /// <summary>Activation name as ActivationCatalog spells it ("relu", "talu", ...).</summary>
    public required string Activation { get; init; }

    /// <summary>α (ELU/TaLU/ExLU) or the negative slope (LeakyReLU); null for parameter-free activations.</summary>
    public double? Alpha { get; init; }

    /// <summary>Whether α is a learned parameter (false for parameter-free activations).</summary>
    public bool LearnableAlpha { get; init; }

    /// <summary>Weight-initialisation scheme name ("default", "he", "xavier", ...: the app's names).</summary>
    public string Init { get; init; } = "default";
    public int Epochs { get; init; }
    public int BatchSize { get; init; }
    public double LearningRate { get; init; }
    public double Momentum { get; init; }

    /// <summary>
    /// The seed. A grid passes the same seed to every activation: giving every configuration with
    /// this seed the same data order and the same initial weights is the train function's job.
    /// </summary>
    public int Seed { get; init; }
    public string Device { get; init; } = "auto";

    /// <summary>Further app options passed through unchanged (weight decay, data folder, ...).</summary>
    public SortedDictionary<string, string> Extra { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The configuration without its seed: "talu-a1-fixed-default". Runs with one key are repeats.</summary>
    [JsonIgnore]
    public string Key => ConfigKey(Activation, Alpha, LearnableAlpha, Init);

    /// <summary>
    /// Everything except seed and id, as one string: two runs are of the same configuration exactly
    /// when their settings keys are equal (the key alone ignores dataset, model, epochs, ...).
    /// </summary>
    [JsonIgnore]
    public string SettingsKey => string.Join("|", Dataset, Model, Key, Epochs, BatchSize, Num(LearningRate), Num(Momentum),
        string.Join(",", Extra.Select(kv => $"{kv.Key}={kv.Value}")));

    /// <summary>"talu-a1-fixed-default", "relu-default": the id of a configuration without its seed.</summary>
    public static string ConfigKey(string activation, double? alpha, bool learnable, string init) =>
        alpha is null
            ? $"{activation}-{init}"
            : $"{activation}-a{Num(alpha.Value)}-{(learnable ? "learn" : "fixed")}-{init}";

    /// <summary>The run id: configuration key plus "-s{seed}".</summary>
    public static string RunId(string activation, double? alpha, bool learnable, string init, int seed) =>
        $"{ConfigKey(activation, alpha, learnable, init)}-s{seed}";

    /// <summary>Shortest round-trip invariant form: 1, 0.5, 0.01.</summary>
    internal static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>One epoch's row. TestAccuracy is a fraction in 0..1. Missing values are NaN.</summary>
public sealed record EpochMetrics(
    int Epoch, double TrainLoss, double TestLoss, double TestAccuracy, double Seconds, double ImagesPerSec, double LearningRate);

/// <summary>What a finished run produced: its epochs in order, and the learned α values if α learned.</summary>
public sealed record RunResult
{
    public required IReadOnlyList<EpochMetrics> Epochs { get; init; }

    /// <summary>The α values at the end of training (one per layer or channel), when α was learnable.</summary>
    public IReadOnlyList<double>? FinalAlphas { get; init; }

    [JsonIgnore] public EpochMetrics Final => Epochs[^1];
    [JsonIgnore] public double FinalTestAccuracy => Final.TestAccuracy;
    [JsonIgnore] public double BestTestAccuracy => Epochs.Max(e => e.TestAccuracy);
    [JsonIgnore] public double FinalTrainLoss => Final.TrainLoss;

    /// <summary>Mean wall-clock seconds per epoch (NaN where no epoch recorded its time).</summary>
    [JsonIgnore]
    public double SecondsPerEpoch
    {
        get
        {
            var s = Epochs.Select(e => e.Seconds).Where(double.IsFinite).ToArray();
            return s.Length == 0 ? double.NaN : s.Average();
        }
    }
}

/// <summary>The JSON settings of every file the study writes: indented camelCase, NaN allowed.</summary>
public static class StudyJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes <paramref name="value"/> to <paramref name="path"/> atomically: a temporary file, then a rename.</summary>
    public static void WriteAtomic<T>(string path, T value) => WriteTextAtomic(path, JsonSerializer.Serialize(value, Options));

    /// <summary>Writes text through a temporary file in the same folder and a rename, so readers never see half a file.</summary>
    public static void WriteTextAtomic(string path, string text)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        File.WriteAllText(tmp, text);
        File.Move(tmp, full, overwrite: true);
    }

    public static T Read<T>(string path) =>
        JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options)
        ?? throw new InvalidDataException($"{path}: empty JSON (null)");
}
