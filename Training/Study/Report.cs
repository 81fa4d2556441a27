// The study report, computed only from run folders (nothing typed by hand):
//
//   per configuration (all settings but the seed): n, final test accuracy mean ± sd and its 95%
//   Student-t CI, test accuracy at the best validation epoch (with --val; no epoch is ever chosen
//   on the test set), final train loss, seconds per epoch, learned α;
//   per configuration against the baseline (ReLU) with the same other settings: Welch's t-test on
//   the final test accuracies, and a paired t-test over the seeds both have (≥ 2), each with the
//   difference and its CI, Cohen's d (d_z when paired), and a plain-words verdict on the
//   Holm–Bonferroni adjusted p, the family being every test the report prints; the same tests on
//   the test accuracy at the best-validation epoch where runs held out a validation set;
//   per-class test accuracy from each run's confusion.json (PerClassSummary).
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

    /// <summary>Per-class accuracy and confusion, mean over the runs with a confusion.json; null when none has one.</summary>
    public PerClassSummary? PerClass { get; init; }
}

/// <summary>Which test accuracy a comparison tests: the last epoch's, or the one at each run's best validation epoch (runs with --val).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<AccuracyMeasure>))]
public enum AccuracyMeasure { Final, AtBestVal }

/// <summary>One configuration against the baseline with the same other settings, on one accuracy measure.</summary>
public sealed record Comparison
{
    public AccuracyMeasure Measure { get; init; } = AccuracyMeasure.Final;
    public required string Configuration { get; init; }
    public required string Baseline { get; init; }
    public required string Context { get; init; }
    public required TTestResult Welch { get; init; }

    /// <summary>Paired by seed over the seeds both have; null when fewer than two are shared.</summary>
    public TTestResult? Paired { get; init; }
    public required IReadOnlyList<ulong> PairedSeeds { get; init; }
    public required string Verdict { get; init; }
    public string? PairedVerdict { get; init; }

    /// <summary>The tests of this comparison, in the order the report adjusts and prints them.</summary>
    public IEnumerable<TTestResult> Tests => Paired is null ? [Welch] : [Welch, Paired];
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
    internal static T ReadRunFile<T>(string runFolder, string file, string id, string remedy)
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
            PerClass = PerClassSummary.Of(g.Runs),
        };
    }

    private IReadOnlyList<Comparison> Compare()
    {
        var list = new List<Comparison>();
        foreach (var measure in new[] { AccuracyMeasure.Final, AccuracyMeasure.AtBestVal })
            foreach (var g in Groups)
            {
                if (g.First.Activation == BaselineActivation) continue;
                foreach (var b in Groups.Where(b => b.Context == g.Context && b.First.Activation == BaselineActivation))
                    if (CompareOn(measure, g, b) is { } c) list.Add(c);
            }
        return AdjustAndJudge(list);
    }

    /// <summary>The test accuracy a measure takes from a run; NaN when the run has none (no --val for AtBestVal).</summary>
    public static double AccuracyOf(AccuracyMeasure measure, RunRecord r) =>
        measure == AccuracyMeasure.Final ? r.Result.FinalTestAccuracy : r.Result.TestAccuracyAtBestVal;

    /// <summary>Welch over the runs that have the measure and paired over their shared seeds; null for AtBestVal when neither side ran with --val.</summary>
    private Comparison? CompareOn(AccuracyMeasure measure, RunGroup g, RunGroup b)
    {
        var mineRuns = g.Runs.Where(r => !double.IsNaN(AccuracyOf(measure, r))).ToArray();
        var theirRuns = b.Runs.Where(r => !double.IsNaN(AccuracyOf(measure, r))).ToArray();
        if (measure == AccuracyMeasure.AtBestVal && mineRuns.Length == 0 && theirRuns.Length == 0) return null;
        var welch = Statistics.Welch(mineRuns.Select(r => AccuracyOf(measure, r)).ToArray(), theirRuns.Select(r => AccuracyOf(measure, r)).ToArray(), Level);
        // Pair by seed only where each seed occurs once on each side.
        var mine = mineRuns.GroupBy(r => r.Config.Seed).Where(s => s.Count() == 1).ToDictionary(s => s.Key, s => s.Single());
        var theirs = theirRuns.GroupBy(r => r.Config.Seed).Where(s => s.Count() == 1).ToDictionary(s => s.Key, s => s.Single());
        var seeds = mine.Keys.Intersect(theirs.Keys).Order().ToArray();
        TTestResult? paired = seeds.Length >= 2
            ? Statistics.Paired(seeds.Select(s => AccuracyOf(measure, mine[s])).ToArray(), seeds.Select(s => AccuracyOf(measure, theirs[s])).ToArray(), Level)
            : null;
        return new Comparison
        {
            Measure = measure,
            Configuration = g.Name,
            Baseline = b.Name,
            Context = g.Context,
            Welch = welch,
            Paired = paired,
            PairedSeeds = seeds,
            Verdict = "",
        };
    }

    /// <summary>Holm over every test of every comparison, then the verdicts on the adjusted p.</summary>
    private static Comparison[] AdjustAndJudge(IReadOnlyList<Comparison> raw)
    {
        var adjusted = new Queue<TTestResult>(Statistics.Holm(raw.SelectMany(c => c.Tests).ToArray()));
        return raw.Select(c =>
        {
            var welch = adjusted.Dequeue();
            var paired = c.Paired is null ? null : adjusted.Dequeue();
            string name = c.Measure == AccuracyMeasure.Final ? c.Configuration : $"{c.Configuration} (at best-val epoch)";
            return c with
            {
                Welch = welch,
                Paired = paired,
                Verdict = Statistics.Verdict(name, c.Baseline, welch),
                PairedVerdict = paired is null ? null : Statistics.Verdict(name, c.Baseline, paired) + $" [{c.PairedSeeds.Count} seeds]",
            };
        }).ToArray();
    }

    /// <summary>How many tests the Holm adjustment counted (every defined Welch and paired test of the report).</summary>
    public int TestCount => Comparisons.SelectMany(c => c.Tests).Count(t => t.IsDefined);

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

    /// <summary>Δ, CI, effect size, raw p and Holm p of one test, as five table cells.</summary>
    private static string TestCells(TTestResult t) =>
        $"{Statistics.Signed(t.Difference * 100)} | {Statistics.Signed(t.CiLow * 100)} … {Statistics.Signed(t.CiHigh * 100)} | "
        + $"{Statistics.FormatEffect(t.EffectSize)} | {Statistics.FormatP(t.P)} | {Statistics.FormatP(t.AdjustedP)}";

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
            foreach (var measure in new[] { AccuracyMeasure.Final, AccuracyMeasure.AtBestVal })
                AppendComparisons(md, context, level, measure);
            AppendPerClass(md, Configurations.Where(c => c.Context == context).ToArray());
        }
        if (Groups.Count == 0) md.AppendLine("No finished runs yet.").AppendLine();
        AppendFooter(md);
        return md.ToString();
    }

    private void AppendComparisons(StringBuilder md, string context, string level, AccuracyMeasure measure)
    {
        var comps = Comparisons.Where(c => c.Context == context && c.Measure == measure).ToArray();
        if (comps.Length == 0)
        {
            if (measure == AccuracyMeasure.Final)
                md.AppendLine($"No comparison: these settings have no `{BaselineActivation}` configuration to compare with.").AppendLine();
            return;
        }
        md.AppendLine(measure == AccuracyMeasure.Final
            ? $"### Against {BaselineActivation} (same settings otherwise)"
            : $"### Against {BaselineActivation}, test accuracy at the best-validation epoch").AppendLine();
        md.AppendLine($"| Configuration | vs | Δ (points) | {level} CI | d | Welch p | Holm p | Paired Δ (points) | Paired {level} CI | d_z | Paired p | Holm p | Verdict (Welch, Holm) |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var c in comps)
        {
            var w = c.Welch;
            var p = c.Paired;
            string verdict = !w.IsDefined ? "too few runs" : w.IsSignificant ? $"significant at {(1 - Level) * 100:0.##}%" : "within noise";
            md.AppendLine($"| {c.Configuration} | {c.Baseline} | {TestCells(w)} | "
                + (p is null ? "n/a | n/a | n/a | n/a | n/a" : TestCells(p))
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

    /// <summary>Per-class test accuracy (class × configuration, mean over seeds) at the last and, where run with --val, the best-validation epoch.</summary>
    private static void AppendPerClass(StringBuilder md, IReadOnlyList<ConfigurationSummary> configs)
    {
        var with = configs.Where(c => c.PerClass is not null).ToArray();
        if (with.Length == 0)
        {
            md.AppendLine($"No per-class table: none of these runs wrote a {RunFolder.ConfusionFile} (runs from before it existed).").AppendLine();
            return;
        }
        var classes = with[0].PerClass!.Classes;
        var other = with.FirstOrDefault(c => !c.PerClass!.Classes.SequenceEqual(classes));
        if (other is not null)
            throw new DataFormatException($"{other.Name} and {with[0].Name} ran with the same settings but report different classes "
                + $"({string.Join(", ", other.PerClass!.Classes)} vs {string.Join(", ", classes)})");
        md.AppendLine("### Per-class test accuracy (%), mean over seeds").AppendLine();
        md.AppendLine("Each run's confusion matrix is row-normalised, then averaged over the runs counted in the column head (n); "
            + "the diagonal is the per-class accuracy, the last row the mean over classes. confusion.png draws the last epoch's matrices.").AppendLine();
        var missing = configs.Where(c => c.PerClass is null || c.PerClass.Last.Runs < c.N)
            .Select(c => $"{c.Name} ({c.N - (c.PerClass?.Last.Runs ?? 0)} of {c.N})").ToArray();
        if (missing.Length > 0)
            md.AppendLine($"Runs without {RunFolder.ConfusionFile}, not counted here: {string.Join(", ", missing)}.").AppendLine();
        foreach (var (title, pick) in new (string, Func<PerClassSummary, MeanConfusion?>)[]
            { ("At the last epoch", p => p.Last), ("At the best-validation epoch", p => p.BestVal) })
        {
            var cols = with.Where(c => pick(c.PerClass!) is not null).ToArray();
            if (cols.Length == 0) continue;
            md.AppendLine($"{title}:").AppendLine();
            md.AppendLine("| Class | " + string.Join(" | ", cols.Select(c => $"{c.Name} (n={pick(c.PerClass!)!.Runs})")) + " |");
            md.AppendLine("|---|" + string.Concat(cols.Select(_ => "---:|")));
            for (int k = 0; k < classes.Count; k++)
                md.AppendLine($"| {classes[k]} | " + string.Join(" | ", cols.Select(c => P(pick(c.PerClass!)!.Accuracy[k]))) + " |");
            md.AppendLine("| mean over classes | " + string.Join(" | ", cols.Select(c => P(pick(c.PerClass!)!.MeanOverClasses))) + " |");
            md.AppendLine();
        }
    }

    private void AppendFooter(StringBuilder md)
    {
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
            + $"Holm p is the Holm–Bonferroni adjusted p over all {TestCount} tests of this report (every Welch and paired test above), "
            + $"which keeps the chance of any false \"significant\" at {1 - Level:0.##}; the verdicts use it. "
            + $"\"Within noise\" means Holm p ≥ {1 - Level:0.##}: the runs cannot tell the two apart, not that they are equal. "
            + "d is Cohen's d, the difference in units of the pooled seed-to-seed sd; d_z is the mean paired difference over the sd of the differences.");
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
    }

    /// <summary>One row per configuration; accuracies as fractions; comparison columns empty for the baseline.</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        csv.AppendLine("configuration,activation,alpha,learnable_alpha,init,n,seeds,final_acc_mean,final_acc_sd,final_acc_ci_low,final_acc_ci_high,"
            + "best_val_test_acc_mean,best_val_test_acc_sd,final_train_loss_mean,final_train_loss_sd,seconds_per_epoch,images_per_sec,learned_alpha_mean,"
            + "baseline,diff_vs_baseline,welch_ci_low,welch_ci_high,welch_p,paired_diff,paired_p,paired_seeds,"
            + "cohens_d,welch_p_holm,paired_ci_low,paired_ci_high,cohens_dz,paired_p_holm,holm_tests,"
            + "best_val_diff,best_val_welch_p,best_val_welch_p_holm,best_val_cohens_d,best_val_paired_p,best_val_paired_p_holm,best_val_cohens_dz,verdict,context");
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
            var cmp = Comparisons.FirstOrDefault(x => x.Configuration == c.Name && x.Context == c.Context && x.Measure == AccuracyMeasure.Final);
            var w = cmp?.Welch;
            var pd = cmp?.Paired;
            string Of(TTestResult? t, Func<TTestResult, double> v) => t is null ? "" : N(v(t));
            row.AddRange([cmp is null ? "" : Q(cmp.Baseline), Of(w, t => t.Difference), Of(w, t => t.CiLow), Of(w, t => t.CiHigh), Of(w, t => t.P),
                Of(pd, t => t.Difference), Of(pd, t => t.P), cmp is null ? "" : string.Join(" ", cmp.PairedSeeds),
                Of(w, t => t.EffectSize), Of(w, t => t.AdjustedP), Of(pd, t => t.CiLow), Of(pd, t => t.CiHigh),
                Of(pd, t => t.EffectSize), Of(pd, t => t.AdjustedP), cmp is null ? "" : TestCount.ToString(CultureInfo.InvariantCulture)]);
            var bv = Comparisons.FirstOrDefault(x => x.Configuration == c.Name && x.Context == c.Context && x.Measure == AccuracyMeasure.AtBestVal);
            row.AddRange([Of(bv?.Welch, t => t.Difference), Of(bv?.Welch, t => t.P), Of(bv?.Welch, t => t.AdjustedP), Of(bv?.Welch, t => t.EffectSize),
                Of(bv?.Paired, t => t.P), Of(bv?.Paired, t => t.AdjustedP), Of(bv?.Paired, t => t.EffectSize), cmp is null ? "" : Q(cmp.Verdict)]);
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
        holmTests = TestCount,
        unfinishedRuns = UnfinishedRuns,
        failedRuns = FailedRuns,
    }, RunJson.Options);
}
