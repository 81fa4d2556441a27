// The study report, computed only from run folders (nothing typed by hand):
//
//   per configuration (all settings but the seed): n, final test accuracy mean ± sd and its 95%
//   Student-t CI, test accuracy at the best validation epoch (with --val; no epoch is ever chosen
//   on the test set), final train loss, seconds per epoch, learned α;
//   per configuration against the baseline (ReLU) with the same other settings: Welch's t-test on
//   the final test accuracies, and a paired t-test over the seeds both have (≥ 2), each with a
//   plain-words verdict.
//
// Outputs report.md (tables, the grid that was run, the command that ran it), summary.csv and
// summary.json (fractions, not percent, in the machine-readable files).
using System.Globalization;
using System.Text;
using System.Text.Json;
using Activations.Training.Data;
using Activations.Training.Run;

namespace Activations.Training.Study;

/// <summary>The finished runs of one configuration (all its seeds).</summary>
/// <param name="Name">The configuration key, e.g. "talu-a1-fixed-default".</param>
/// <param name="Context">Everything else that defines it (dataset, model, init, epochs, batch, lr, ...).</param>
public sealed record RunGroup(string Name, string Context, IReadOnlyList<RunRecord> Runs)
{
    public RunConfig First => Runs[0].Config;
    public IReadOnlyList<ulong> Seeds => Runs.Select(r => r.Config.Seed).ToArray();
    public double[] FinalAccuracies => Runs.Select(r => r.Result.FinalTestAccuracy).ToArray();
}

/// <summary>One row of the configuration table. Accuracies are fractions.</summary>
public sealed record ConfigurationSummary
{
    public required string Name { get; init; }
    public required string Context { get; init; }
    public required string Activation { get; init; }
    public double? Alpha { get; init; }
    public bool LearnableAlpha { get; init; }
    public required string Init { get; init; }
    public int N { get; init; }
    public required IReadOnlyList<ulong> Seeds { get; init; }
    public required SampleSummary FinalAccuracy { get; init; }
    /// <summary>Test accuracy at each run's best validation epoch (RunResult.BestValEpoch); null when no run held out a validation set.</summary>
    public SampleSummary? AtBestValAccuracy { get; init; }
    public double FinalTrainLossMean { get; init; }
    public double FinalTrainLossSd { get; init; }
    public double SecondsPerEpoch { get; init; }
    public double ImagesPerSec { get; init; }

    /// <summary>Mean over seeds of the mean learned α (NaN when α was fixed or not reported).</summary>
    public double LearnedAlphaMean { get; init; }
}

/// <summary>One configuration against the baseline with the same other settings.</summary>
public sealed record Comparison
{
    public required string Configuration { get; init; }
    public required string Baseline { get; init; }
    public required string Context { get; init; }
    public required TTestResult Welch { get; init; }

    /// <summary>Paired by seed over the seeds both have; null when fewer than two are shared.</summary>
    public TTestResult? Paired { get; init; }
    public required IReadOnlyList<ulong> PairedSeeds { get; init; }
    public required string Verdict { get; init; }
    public string? PairedVerdict { get; init; }
}

public sealed class StudyReport
{
    public const string MarkdownFile = "report.md", CsvFile = "summary.csv", JsonFile = "summary.json";

    public string Source { get; }
    public GridManifest? Manifest { get; }
    public string BaselineActivation { get; }
    public double Level { get; }
    public IReadOnlyList<RunGroup> Groups { get; }
    public IReadOnlyList<ConfigurationSummary> Configurations { get; }
    public IReadOnlyList<Comparison> Comparisons { get; }

    /// <summary>Runs the grid lists that have no done.json (never run, interrupted, or failed).</summary>
    public IReadOnlyList<string> UnfinishedRuns { get; }

    /// <summary>Unfinished runs whose last attempt failed, with the error.</summary>
    public IReadOnlyList<string> FailedRuns { get; }

    private StudyReport(string source, GridManifest? manifest, IReadOnlyList<RunRecord> runs, IReadOnlyList<string> unfinished,
        IReadOnlyList<string> failed, string baseline, double level)
    {
        Source = source;
        Manifest = manifest;
        BaselineActivation = baseline;
        Level = level;
        UnfinishedRuns = unfinished;
        FailedRuns = failed;
        Groups = runs
            .GroupBy(r => (Context: ContextOf(r.Config), r.Config.Key))
            .Select(g => new RunGroup(g.Key.Key, g.Key.Context, g.OrderBy(r => r.Config.Seed).ToArray()))
            .OrderBy(g => g.Context, StringComparer.Ordinal)
            .ThenBy(g => g.First.Activation == baseline ? 0 : 1)
            .ThenBy(g => g.Name, StringComparer.Ordinal)
            .ToArray();
        Configurations = Groups.Select(Summarize).ToArray();
        Comparisons = Compare();
    }

    /// <summary>
    /// The report of a grid folder: the runs of grid.json (or, without one, every sub-folder) that
    /// have a done.json.
    /// </summary>
    public static StudyReport FromGrid(string gridFolder, string baseline = "relu", double level = Statistics.DefaultLevel)
    {
        string folder = Path.GetFullPath(gridFolder);
        string manifestPath = Path.Combine(folder, GridRunner.ManifestFile);
        var manifest = File.Exists(manifestPath) ? GridRunner.ReadManifest(folder) : null;
        var ids = manifest?.RunIds ?? Directory.GetDirectories(folder).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        List<RunRecord> runs = [];
        List<string> unfinished = [], failed = [];
        foreach (string id in ids)
        {
            string runFolder = Path.Combine(folder, id);
            if (RunFolder.IsDone(runFolder))
            {
                var done = ReadRunFile<DoneRecord>(runFolder, RunFolder.DoneFile, id, "delete it to train the run again");
                runs.Add(new RunRecord(runFolder, done.Config, RunFolder.Normalize(done.Result)));
                continue;
            }
            unfinished.Add(id);
            string failedPath = Path.Combine(runFolder, RunFolder.FailedFile);
            if (File.Exists(failedPath)) failed.Add($"{id}: {ReadRunFile<FailedRecord>(runFolder, RunFolder.FailedFile, id, "delete it").Error}");
        }
        return new StudyReport(folder, manifest, runs, unfinished, failed, baseline, level);
    }

    /// <summary>A grid run's JSON file; one that cannot be read is a DataFormatException naming the file and the run.</summary>
    private static T ReadRunFile<T>(string runFolder, string file, string id, string remedy)
    {
        string path = Path.Combine(runFolder, file);
        try { return RunJson.Read<T>(path); }
        catch (Exception e) when (e is JsonException or InvalidDataException or NotSupportedException)
        {
            throw new DataFormatException($"{path}: the {file} of run '{id}' is corrupt ({e.Message.ReplaceLineEndings(" ")}); {remedy}");
        }
    }

    /// <summary>The report of any run folders (grid runs with done.json, or the app's own config.json + metrics).</summary>
    public static StudyReport FromRunFolders(IEnumerable<string> folders, string baseline = "relu", double level = Statistics.DefaultLevel)
    {
        List<RunRecord> runs = [];
        List<string> unreadable = [];
        var list = folders.Select(Path.GetFullPath).ToArray();
        foreach (string f in list)
        {
            var r = RunFolder.TryLoad(f);
            if (r is null) unreadable.Add(f);
            else runs.Add(r);
        }
        return new StudyReport(string.Join(", ", list), null, runs, unreadable, [], baseline, level);
    }

    /// <summary>All settings of a run except activation, α, learnable flag and seed.</summary>
    public static string ContextOf(RunConfig c) =>
        string.Join(" ", new[]
        {
            $"{c.Dataset}/{c.Model}", $"init={c.Init}", $"epochs={c.Epochs}", $"batch={c.Batch}",
            $"lr={RunConfig.Num(c.Lr)}", $"momentum={RunConfig.Num(c.Momentum)}",
        }.Concat(c.RecipeChanges).Concat(c.Extra.Select(kv => $"{kv.Key}={kv.Value}")));

    private ConfigurationSummary Summarize(RunGroup g)
    {
        var c = g.First;
        var losses = g.Runs.Select(r => r.Result.FinalTrainLoss).ToArray();
        var alphas = g.Runs.Select(r => r.Result.FinalAlphas is { Count: > 0 } a ? a.Average() : double.NaN).Where(double.IsFinite).ToArray();
        var ips = g.Runs.SelectMany(r => r.Result.Epochs.Select(e => e.ImagesPerSec)).Where(double.IsFinite).ToArray();
        var spe = g.Runs.Select(r => r.Result.SecondsPerEpoch).Where(double.IsFinite).ToArray();
        return new ConfigurationSummary
        {
            Name = g.Name,
            Context = g.Context,
            Activation = c.Activation,
            Alpha = c.Alpha is { } alpha ? (double)(decimal)alpha : null,
            LearnableAlpha = c.LearnableAlpha,
            Init = c.Init,
            N = g.Runs.Count,
            Seeds = g.Seeds,
            FinalAccuracy = Statistics.Summarize(g.FinalAccuracies, Level),
            AtBestValAccuracy = g.Runs.Where(r => r.Result.BestValEpoch is not null).Select(r => r.Result.TestAccuracyAtBestVal).ToArray() is { Length: > 0 } atBest
                ? Statistics.Summarize(atBest, Level) : null,
            FinalTrainLossMean = Statistics.Mean(losses),
            FinalTrainLossSd = Statistics.StandardDeviation(losses),
            SecondsPerEpoch = spe.Length == 0 ? double.NaN : spe.Average(),
            ImagesPerSec = ips.Length == 0 ? double.NaN : ips.Average(),
            LearnedAlphaMean = alphas.Length == 0 ? double.NaN : alphas.Average(),
        };
    }

    private IReadOnlyList<Comparison> Compare()
    {
        var list = new List<Comparison>();
        foreach (var g in Groups)
        {
            if (g.First.Activation == BaselineActivation) continue;
            foreach (var b in Groups.Where(b => b.Context == g.Context && b.First.Activation == BaselineActivation))
            {
                var welch = Statistics.Welch(g.FinalAccuracies, b.FinalAccuracies, Level);
                // Pair by seed only where each seed occurs once on each side.
                var mine = g.Runs.GroupBy(r => r.Config.Seed).Where(s => s.Count() == 1).ToDictionary(s => s.Key, s => s.Single());
                var theirs = b.Runs.GroupBy(r => r.Config.Seed).Where(s => s.Count() == 1).ToDictionary(s => s.Key, s => s.Single());
                var seeds = mine.Keys.Intersect(theirs.Keys).Order().ToArray();
                TTestResult? paired = seeds.Length >= 2
                    ? Statistics.Paired(seeds.Select(s => mine[s].Result.FinalTestAccuracy).ToArray(),
                        seeds.Select(s => theirs[s].Result.FinalTestAccuracy).ToArray(), Level)
                    : null;
                list.Add(new Comparison
                {
                    Configuration = g.Name,
                    Baseline = b.Name,
                    Context = g.Context,
                    Welch = welch,
                    Paired = paired,
                    PairedSeeds = seeds,
                    Verdict = Statistics.Verdict(g.Name, b.Name, welch),
                    PairedVerdict = paired is null ? null : Statistics.Verdict(g.Name, b.Name, paired) + $" [{seeds.Length} seeds]",
                });
            }
        }
        return list;
    }

    // ---- output ----

    /// <summary>Writes report.md, summary.csv and summary.json into <paramref name="folder"/>; returns their paths.</summary>
    public IReadOnlyList<string> Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var paths = new[] { Path.Combine(folder, MarkdownFile), Path.Combine(folder, CsvFile), Path.Combine(folder, JsonFile) };
        AtomicFile.WriteText(paths[0], ToMarkdown(), flushToDisk: false);
        AtomicFile.WriteText(paths[1], ToCsv(), flushToDisk: false);
        AtomicFile.WriteText(paths[2], ToJson(), flushToDisk: false);
        return paths;
    }

    private static string P(double fraction) => double.IsNaN(fraction) ? "n/a" : (fraction * 100).ToString("0.00", CultureInfo.InvariantCulture);
    private static string F(double v, string format = "0.0000") => double.IsNaN(v) ? "n/a" : v.ToString(format, CultureInfo.InvariantCulture);

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        string level = $"{Level * 100:0.##}%";
        var spec = Manifest?.Spec;
        md.AppendLine(spec is null ? "# Activation study" : $"# Activation study: {spec.Dataset} / {spec.Model}");
        md.AppendLine();
        int runs = Groups.Sum(g => g.Runs.Count);
        md.AppendLine($"Computed from {runs} finished run{(runs == 1 ? "" : "s")} in `{Source}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. ");
        md.AppendLine($"Accuracies are final-epoch test accuracies in percent unless marked \"at best-val epoch\" (the epoch of the highest accuracy on the --val images held out of training; the test set never selects an epoch); differences are in percentage points (\"points\"). "
            + $"sd is the sample standard deviation over seeds (n − 1); CI is the {level} Student-t interval of the mean.");
        md.AppendLine();
        var contexts = Groups.Select(g => g.Context).Distinct().ToArray();
        foreach (string context in contexts)
        {
            if (contexts.Length > 1 || spec is null) md.AppendLine($"## Settings: `{context}`").AppendLine();
            else md.AppendLine($"Settings: `{context}`").AppendLine();
            md.AppendLine("| Configuration | n | Final acc. mean ± sd (%) | " + level + " CI (%) | Acc. at best-val epoch mean ± sd (%) | Final train loss | s / epoch | images / s | Learned α |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var c in Configurations.Where(c => c.Context == context))
            {
                var a = c.FinalAccuracy;
                md.AppendLine($"| {c.Name} | {c.N} | {P(a.Mean)} ± {P(a.Sd)} | {P(a.CiLow)} … {P(a.CiHigh)} | {(c.AtBestValAccuracy is { } v ? $"{P(v.Mean)} ± {P(v.Sd)}" : "n/a")} | "
                    + $"{F(c.FinalTrainLossMean)} | {F(c.SecondsPerEpoch, "0.0")} | {F(c.ImagesPerSec, "0")} | {F(c.LearnedAlphaMean, "0.000")} |");
            }
            md.AppendLine();
            var comps = Comparisons.Where(c => c.Context == context).ToArray();
            if (comps.Length == 0)
            {
                md.AppendLine($"No comparison: these settings have no `{BaselineActivation}` configuration to compare with.").AppendLine();
                continue;
            }
            md.AppendLine($"### Against {BaselineActivation} (same settings otherwise)").AppendLine();
            md.AppendLine($"| Configuration | vs | Δ (points) | {level} CI | Welch p | Paired Δ (points) | Paired {level} CI | Paired p | Verdict (Welch) |");
            md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---|");
            foreach (var c in comps)
            {
                var w = c.Welch;
                var p = c.Paired;
                string verdict = !w.IsDefined ? "too few runs" : w.IsSignificant ? $"significant at {(1 - Level) * 100:0.##}%" : "within noise";
                md.AppendLine($"| {c.Configuration} | {c.Baseline} | {Statistics.Signed(w.Difference * 100)} | {Statistics.Signed(w.CiLow * 100)} … {Statistics.Signed(w.CiHigh * 100)} | {Statistics.FormatP(w.P)} | "
                    + (p is null ? "n/a | n/a | n/a" : $"{Statistics.Signed(p.Difference * 100)} | {Statistics.Signed(p.CiLow * 100)} … {Statistics.Signed(p.CiHigh * 100)} | {Statistics.FormatP(p.P)}")
                    + $" | {verdict} |");
            }
            md.AppendLine();
            foreach (var c in comps)
            {
                md.AppendLine($"- {c.Verdict}");
                if (c.PairedVerdict is not null) md.AppendLine($"  - paired by seed: {c.PairedVerdict}");
            }
            md.AppendLine();
        }
        if (Groups.Count == 0) md.AppendLine("No finished runs yet.").AppendLine();
        var learned = Groups.SelectMany(g => g.Runs).Where(r => r.Result.FinalAlphas is { Count: > 0 }).OrderBy(r => r.Config.Id, StringComparer.Ordinal).ToList();
        if (learned.Count > 0)
        {
            md.AppendLine("### Learned α per run").AppendLine();
            md.AppendLine("The final value of each activation layer's learnable α, in model order.").AppendLine();
            md.AppendLine("| Run | Initial α | Learned α |").AppendLine("|---|---:|---|");
            foreach (var r in learned)
                md.AppendLine($"| {r.Config.Id} | {F(r.Config.Alpha ?? double.NaN, "0.###")} | {string.Join(", ", r.Result.FinalAlphas!.Select(a => a.ToString("0.###", CultureInfo.InvariantCulture)))} |");
            md.AppendLine();
        }
        md.AppendLine("Welch's t-test does not assume equal variances; its degrees of freedom are Welch–Satterthwaite's. "
            + "The paired test uses the seeds both configurations ran (same seed = same data order and initial weights, when the trainer honours it). "
            + $"\"Within noise\" means p ≥ {1 - Level:0.##}: the runs cannot tell the two apart, not that they are equal. "
            + "With many comparisons, about one in twenty is \"significant\" by chance.");
        md.AppendLine();
        if (UnfinishedRuns.Count > 0)
        {
            md.AppendLine($"## Unfinished runs ({UnfinishedRuns.Count})").AppendLine();
            md.AppendLine("Not in the tables above: " + string.Join(", ", UnfinishedRuns.Select(r => $"`{Path.GetFileName(r)}`")) + ".");
            foreach (string f in FailedRuns) md.AppendLine($"- failed: {f}");
            md.AppendLine();
        }
        if (Manifest is not null)
        {
            md.AppendLine("## The grid that was run").AppendLine();
            md.AppendLine($"{Manifest.RunIds.Count} runs ({Groups.Sum(g => g.Runs.Count)} finished), created {Manifest.CreatedUtc:yyyy-MM-dd HH:mm} UTC:").AppendLine();
            md.AppendLine("```json").AppendLine(Manifest.Spec.CanonicalJson()).AppendLine("```").AppendLine();
            md.AppendLine("## How to reproduce").AppendLine();
            md.AppendLine("```sh").AppendLine(Manifest.CommandLine).AppendLine("```").AppendLine();
            if (Manifest.Invocations.Count > 1)
            {
                md.AppendLine("Resumed by:").AppendLine();
                foreach (var i in Manifest.Invocations.Skip(1)) md.AppendLine($"- {i.StartedUtc:yyyy-MM-dd HH:mm} UTC: `{i.CommandLine}`");
                md.AppendLine();
            }
        }
        return md.ToString();
    }

    /// <summary>One row per configuration; accuracies as fractions; comparison columns empty for the baseline.</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        csv.AppendLine("configuration,activation,alpha,learnable_alpha,init,n,seeds,final_acc_mean,final_acc_sd,final_acc_ci_low,final_acc_ci_high,"
            + "best_val_test_acc_mean,best_val_test_acc_sd,final_train_loss_mean,final_train_loss_sd,seconds_per_epoch,images_per_sec,learned_alpha_mean,"
            + "baseline,diff_vs_baseline,welch_ci_low,welch_ci_high,welch_p,paired_diff,paired_p,paired_seeds,verdict,context");
        string N(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);
        string Q(string s) => s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
        foreach (var c in Configurations)
        {
            var a = c.FinalAccuracy;
            var row = new List<string>
            {
                Q(c.Name), c.Activation, c.Alpha is null ? "" : N(c.Alpha.Value), c.LearnableAlpha ? "true" : "false", Q(c.Init), c.N.ToString(CultureInfo.InvariantCulture),
                string.Join(" ", c.Seeds), N(a.Mean), N(a.Sd), N(a.CiLow), N(a.CiHigh), N(c.AtBestValAccuracy?.Mean ?? double.NaN), N(c.AtBestValAccuracy?.Sd ?? double.NaN),
                N(c.FinalTrainLossMean), N(c.FinalTrainLossSd), N(c.SecondsPerEpoch), N(c.ImagesPerSec), N(c.LearnedAlphaMean),
            };
            var cmp = Comparisons.FirstOrDefault(x => x.Configuration == c.Name && x.Context == c.Context);
            row.AddRange(cmp is null
                ? ["", "", "", "", "", "", "", "", ""]
                : [Q(cmp.Baseline), N(cmp.Welch.Difference), N(cmp.Welch.CiLow), N(cmp.Welch.CiHigh), N(cmp.Welch.P),
                    cmp.Paired is null ? "" : N(cmp.Paired.Difference), cmp.Paired is null ? "" : N(cmp.Paired.P),
                    string.Join(" ", cmp.PairedSeeds), Q(cmp.Verdict)]);
            row.Add(Q(c.Context));
            csv.AppendLine(string.Join(",", row));
        }
        return csv.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(new
    {
        generatedUtc = DateTime.UtcNow,
        source = Source,
        baseline = BaselineActivation,
        level = Level,
        accuracyUnit = "fraction (0..1)",
        grid = Manifest,
        configurations = Configurations,
        comparisons = Comparisons,
        unfinishedRuns = UnfinishedRuns,
        failedRuns = FailedRuns,
    }, RunJson.Options);
}
