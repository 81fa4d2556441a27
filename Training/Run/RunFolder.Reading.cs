// Reading finished runs tolerantly: a grid's done.json, or the app's config.json with metrics.json
// or metrics.csv, also from runs made outside a grid. Column and property names are matched ignoring
// case, '_' and '-': epoch, train_loss, test_loss, test_accuracy, seconds, images_per_sec, lr (and a
// few synonyms, see MetricNames). Accuracy may be a fraction or a percentage: a run whose accuracies
// include a value > 1 is taken as percent and divided by 100 (so a percent run whose highest accuracy is
// ≤ 1% would be misread; no real MNIST run is).
using System.Globalization;
using System.Text.Json;
using Activations.Engine;
using Activations.Kernels.Activations;

namespace Activations.Training.Run;

public sealed partial class RunFolder
{
    /// <summary>
    /// A finished run from <paramref name="folder"/>: done.json when present, otherwise the app's
    /// config.json with metrics.json or metrics.csv. Null when neither is there.
    /// </summary>
    public static RunRecord? TryLoad(string folder)
    {
        if (IsDone(folder))
        {
            var done = ReadDone(folder);
            return new RunRecord(folder, done.Config, Normalize(done.Result));
        }
        string config = System.IO.Path.Combine(folder, "config.json");
        if (!File.Exists(config)) return null;
        var epochs = ReadMetrics(folder);
        if (epochs is null || epochs.Count == 0) return null;
        return new RunRecord(folder, ReadAppConfig(config), new RunResult { Epochs = epochs });
    }

    /// <summary>Validates a result (at least one epoch) and converts percent accuracies to fractions.</summary>
    public static RunResult Normalize(RunResult result)
    {
        if (result.Epochs is null || result.Epochs.Count == 0)
            throw new InvalidDataException("a run result needs at least one epoch of metrics");
        if (!result.Epochs.Any(e => e.TestAccuracy > 1)) return result;
        return result with { Epochs = result.Epochs.Select(e => e with { TestAccuracy = e.TestAccuracy / 100, ValAccuracy = e.ValAccuracy / 100 }).ToArray() };
    }

    /// <summary>The epochs of metrics.json, else metrics.csv, in <paramref name="folder"/>; null when neither exists.</summary>
    public static IReadOnlyList<EpochMetrics>? ReadMetrics(string folder)
    {
        string json = System.IO.Path.Combine(folder, "metrics.json"), csv = System.IO.Path.Combine(folder, "metrics.csv");
        List<Dictionary<string, double>> rows;
        if (File.Exists(json)) rows = JsonRows(json);
        else if (File.Exists(csv)) rows = CsvRows(csv);
        else return null;
        var epochs = rows.Select((r, i) => new EpochMetrics(
            (int)Get(r, MetricNames.Epoch, i + 1),
            Get(r, MetricNames.TrainLoss), Get(r, MetricNames.TestLoss), Get(r, MetricNames.TestAccuracy),
            Get(r, MetricNames.Seconds), Get(r, MetricNames.ImagesPerSec), Get(r, MetricNames.LearningRate),
            Optional(r, MetricNames.ValLoss), Optional(r, MetricNames.ValAccuracy))).ToArray();
        return epochs.Length == 0 ? epochs : Normalize(new RunResult { Epochs = epochs }).Epochs;
    }

    /// <summary>Accepted spellings of each metric after lower-casing and dropping '_' and '-'.</summary>
    public static class MetricNames
    {
        public static readonly string[] Epoch = ["epoch"];
        public static readonly string[] TrainLoss = ["trainloss", "loss"];
        public static readonly string[] TestLoss = ["testloss"];
        public static readonly string[] TestAccuracy = ["testaccuracy", "testacc", "accuracy", "acc"];
        public static readonly string[] ValLoss = ["valloss", "validationloss"];
        public static readonly string[] ValAccuracy = ["valaccuracy", "valacc", "validationaccuracy"];
        public static readonly string[] Seconds = ["seconds", "epochseconds", "secondsperepoch", "time", "elapsed"];
        public static readonly string[] ImagesPerSec = ["imagespersec", "imagespersecond", "throughput"];
        public static readonly string[] LearningRate = ["lr", "learningrate"];
    }

    private static string Norm(string name) => name.Trim().ToLowerInvariant().Replace("_", "").Replace("-", "");

    private static double Get(Dictionary<string, double> row, string[] names, double missing = double.NaN)
    {
        foreach (string n in names)
            if (row.TryGetValue(n, out double v)) return v;
        return missing;
    }

    private static double? Optional(Dictionary<string, double> row, string[] names) =>
        Get(row, names) is var v && !double.IsNaN(v) ? v : null;

    private static List<Dictionary<string, double>> JsonRows(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        JsonElement? array = root.ValueKind == JsonValueKind.Array ? root : null;
        if (array is null && root.ValueKind == JsonValueKind.Object)
        {
            // {"epochs": [...]} or any other single array-of-rows property
            foreach (var p in root.EnumerateObject())
                if (p.Value.ValueKind == JsonValueKind.Array && p.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Object))
                {
                    array = p.Value;
                    if (Norm(p.Name) is "epochs" or "rows" or "history" or "metrics") break;
                }
        }
        if (array is null) throw new InvalidDataException($"{path}: expected an array of per-epoch rows");
        var rows = new List<Dictionary<string, double>>();
        foreach (var e in array.Value.EnumerateArray())
        {
            var row = new Dictionary<string, double>();
            foreach (var p in e.EnumerateObject())
            {
                double v = p.Value.ValueKind switch
                {
                    JsonValueKind.Number => p.Value.GetDouble(),
                    JsonValueKind.String when double.TryParse(p.Value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                    _ => double.NaN,
                };
                row.TryAdd(Norm(p.Name), v);
            }
            rows.Add(row);
        }
        return rows;
    }

    private static List<Dictionary<string, double>> CsvRows(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToArray();
        var rows = new List<Dictionary<string, double>>();
        if (lines.Length == 0) return rows;
        var header = lines[0].Split(',').Select(h => Norm(h.Trim('"'))).ToArray();
        foreach (string line in lines.Skip(1))
        {
            var cells = line.Split(',');
            var row = new Dictionary<string, double>();
            for (int i = 0; i < header.Length && i < cells.Length; i++)
                row.TryAdd(header[i], double.TryParse(cells[i].Trim().Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN);
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>
    /// The app's config.json (or another tool's) as a RunConfig: known options by name (ignoring case,
    /// '_' and '-'), everything else into Extra, so that its settings key names what differs.
    /// </summary>
    public static RunConfig ReadAppConfig(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var values = new Dictionary<string, JsonElement>();
        foreach (var p in doc.RootElement.EnumerateObject()) values.TryAdd(Norm(p.Name), p.Value.Clone());

        string? Str(params string[] names)
        {
            foreach (string n in names)
                if (values.TryGetValue(n, out var v) && v.ValueKind != JsonValueKind.Null)
                    return v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText();
            return null;
        }
        double? Dbl(params string[] names) =>
            double.TryParse(Str(names), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

        string actText = Str("activation", "act") ?? throw new InvalidDataException($"{path}: no activation");
        var kind = ActivationCatalog.Parse(actText);
        string act = kind.Name;
        bool hasParam = kind.HasParameter;
        float? alpha = hasParam ? (float?)Dbl("alpha", "parameter", "param", "slope") ?? kind.DefaultParameter : null;
        bool learn = hasParam && (Str("learnablealpha", "learnalpha", "learnable") ?? "false").Trim('"').Equals("true", StringComparison.OrdinalIgnoreCase);
        string init = Str("init", "initialization", "initialisation", "weightinit") ?? "default";
        ulong seed = ulong.TryParse(Str("seed"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var sd) ? sd : 0;
        string[] known = ["activation", "act", "alpha", "parameter", "param", "slope", "learnablealpha", "learnalpha", "learnable",
            "init", "initialization", "initialisation", "weightinit", "seed", "dataset", "data", "model", "epochs",
            "batch", "batchsize", "lr", "learningrate", "momentum", "device", "id", "extra"];
        var extra = new SortedDictionary<string, string>(StringComparer.Ordinal);
        // Other scalar options become Extra (and so part of what makes two runs the same configuration),
        // except those that name where or when a run happened: they differ between repeats.
        string[] perRun = ["dir", "path", "out", "folder", "file", "time", "date", "name", "host"];
        foreach (var (k, v) in values)
            if (!known.Contains(k) && v.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array) && !perRun.Any(k.Contains))
                extra[k] = v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();
        if (values.TryGetValue("extra", out var given) && given.ValueKind == JsonValueKind.Object)
            foreach (var p in given.EnumerateObject())
                extra[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
        return new RunConfig
        {
            Dataset = Str("dataset", "data") ?? "unknown",
            Model = Str("model") ?? "unknown",
            Activation = act,
            Alpha = alpha,
            LearnableAlpha = learn,
            Init = init,
            Epochs = (int)(Dbl("epochs") ?? 0),
            Batch = (int)(Dbl("batch", "batchsize") ?? 0),
            Lr = (float)(Dbl("lr", "learningrate") ?? double.NaN),
            Momentum = (float)(Dbl("momentum") ?? double.NaN),
            Seed = seed,
            Device = Str("device") ?? "unknown",
            Extra = extra,
        };
    }
}
