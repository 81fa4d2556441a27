// The report, computed from synthetic run folders: the numbers per configuration, the comparisons
// with ReLU (a tiny difference is "within noise", a large consistent one "significant"), Holm over
// all its tests and the effect sizes, the three output files, and the app's own run folders
// (config.json + metrics.csv in percent).
using System.Globalization;
using System.Text.Json;
using Activations.Tests.Infrastructure;
using Activations.Training.Run;
using Activations.Training.Study;

namespace Activations.Tests.Study;

public sealed class ReportTests : WithTempDir
{
    // Final accuracies per seed 1..5: seed-to-seed spread of ~0.1 points.
    private static readonly double[] Relu = [0.9801, 0.9790, 0.9812, 0.9795, 0.9806];
    private static readonly double[] TaluTiny = [0.9803, 0.9789, 0.9811, 0.9798, 0.9805]; // +0.004 points on average
    private static readonly double[] ExluBig = [0.9851, 0.9842, 0.9860, 0.9847, 0.9855];  // ~+0.5 points, every seed

    private static double Final(RunConfig c) => c.Activation switch
    {
        "relu" => Relu[c.Seed - 1],
        "talu" => TaluTiny[c.Seed - 1],
        _ => ExluBig[c.Seed - 1],
    };

    /// <summary>Two epochs; the first 1 point worse; α learns to 0.8 where learnable; 3 s/epoch.</summary>
    private static RunResult Train(RunConfig c, string folder, CancellationToken _) => new()
    {
        Epochs =
        [
            new EpochMetrics(1, 0.30 + c.Seed * 0.001, 0.25, Final(c) - 0.01, 3, 20000, 0.01),
            new EpochMetrics(2, 0.10 + c.Seed * 0.001, 0.08, Final(c), 3, 20000, 0.01),
        ],
        FinalAlphas = c.LearnableAlpha ? [0.7, 0.9] : null,
    };

    /// <summary>ReLU, TaLU and ExLU on the MNIST MLP, 2 epochs, seeds 1–5.</summary>
    private static GridSpec Spec() => new()
    {
        Dataset = "mnist",
        Model = "mlp",
        Epochs = 2,
        Activations = ["relu", "talu", "exlu"],
        Alphas = [1],
        Learnable = [false],
        Seeds = [1, 2, 3, 4, 5],
    };

    private StudyReport MakeGrid()
    {
        var spec = Spec();
        new GridRunner(spec, Dir.Path, Train).Run("activations compare --activations relu,talu,exlu --seeds 1-5");
        return StudyReport.FromGrid(Dir.Path);
    }

    [Fact]
    public void ConfigurationNumbers()
    {
        var report = MakeGrid();
        Assert.Equal(["relu-default", "exlu-a1-fixed-default", "talu-a1-fixed-default"], report.Configurations.Select(c => c.Name));
        var relu = report.Configurations[0];
        Assert.Equal(5, relu.N);
        Assert.Equal([1, 2, 3, 4, 5], relu.Seeds);
        Assert.Equal(Relu.Average(), relu.FinalAccuracy.Mean, 12);
        Assert.Equal(Statistics.StandardDeviation(Relu), relu.FinalAccuracy.Sd, 12);
        double half = 2.7764451052 * relu.FinalAccuracy.Sd / Math.Sqrt(5);
        Assert.Equal(Relu.Average() - half, relu.FinalAccuracy.CiLow, 9);
        Assert.Equal(Relu.Average() + half, relu.FinalAccuracy.CiHigh, 9);
        Assert.Null(relu.AtBestValAccuracy); // no --val: no epoch is selected, and never on the test set
        Assert.Equal(0.103, relu.FinalTrainLossMean, 12);
        Assert.Equal(3, relu.SecondsPerEpoch, 12);
        Assert.Equal(20000, relu.ImagesPerSec, 9);
        Assert.True(double.IsNaN(relu.LearnedAlphaMean));
        Assert.Empty(report.UnfinishedRuns);
    }

    [Fact]
    public void TinyDifferenceIsNoiseLargeConsistentOneIsSignificant()
    {
        var report = MakeGrid();
        Assert.Equal(2, report.Comparisons.Count);
        var talu = report.Comparisons.Single(c => c.Configuration == "talu-a1-fixed-default");
        Assert.Equal("relu-default", talu.Baseline);
        Assert.Equal(TaluTiny.Average() - Relu.Average(), talu.Welch.Difference, 12);
        Assert.False(talu.Welch.IsSignificant);
        Assert.Contains("within noise", talu.Verdict);
        Assert.NotNull(talu.Paired);
        Assert.Equal([1, 2, 3, 4, 5], talu.PairedSeeds);
        Assert.Contains("within noise", talu.PairedVerdict);

        var exlu = report.Comparisons.Single(c => c.Configuration == "exlu-a1-fixed-default");
        Assert.Equal(Statistics.Welch(ExluBig, Relu).P, exlu.Welch.P, 15);
        Assert.True(exlu.Welch.P < 0.001);
        Assert.Contains("significant at 5% (Welch t-test, Holm-adjusted): exlu-a1-fixed-default is higher", exlu.Verdict);
        Assert.Contains("significant at 5% (paired t-test, Holm-adjusted)", exlu.PairedVerdict);
        Assert.Equal(Statistics.Paired(ExluBig, Relu).T, exlu.Paired!.T, 12);
    }

    [Fact]
    public void EveryTestOfTheReportIsHolmAdjustedTogetherWithEffectSizes()
    {
        var report = MakeGrid();
        var talu = report.Comparisons.Single(c => c.Configuration.StartsWith("talu"));
        var exlu = report.Comparisons.Single(c => c.Configuration.StartsWith("exlu"));
        // The family: both Welch and both paired tests, four in all.
        Assert.Equal(4, report.TestCount);
        double[] raw = [exlu.Welch.P, exlu.Paired!.P, talu.Welch.P, talu.Paired!.P];
        double[] holm = Statistics.HolmAdjust(raw);
        Assert.Equal(holm, new[] { exlu.Welch.AdjustedP, exlu.Paired.AdjustedP, talu.Welch.AdjustedP, talu.Paired.AdjustedP });
        Assert.All(report.Comparisons.SelectMany(c => c.Tests), t => Assert.Equal(4, t.FamilySize));
        Assert.True(exlu.Welch.AdjustedP >= exlu.Welch.P);
        Assert.Contains($"Holm p = {Statistics.FormatP(talu.Welch.AdjustedP)} (of 4 tests)", talu.Verdict);

        // Effect sizes by the formulas, on the report's own samples.
        double pooled = Math.Sqrt((Statistics.Variance(ExluBig) + Statistics.Variance(Relu)) / 2); // equal n: the mean of the variances
        Assert.Equal((ExluBig.Average() - Relu.Average()) / pooled, exlu.Welch.EffectSize, 9);
        var diffs = ExluBig.Zip(Relu, (a, b) => a - b).ToArray();
        Assert.Equal(diffs.Average() / Statistics.StandardDeviation(diffs), exlu.Paired.EffectSize, 9);
        Assert.Contains("d = +", exlu.Verdict);
        Assert.Contains("d_z = +", exlu.PairedVerdict);

        string md = report.ToMarkdown();
        Assert.Contains("| Holm p |", md);
        Assert.Contains("over all 4 tests of this report", md);
        Assert.Contains($"| {Statistics.FormatEffect(exlu.Welch.EffectSize)} | {Statistics.FormatP(exlu.Welch.P)} | {Statistics.FormatP(exlu.Welch.AdjustedP)} |", md);
    }

    [Fact]
    public void WithValidationTheTestAccuracyAtTheBestValEpochIsComparedTooInTheSameHolmFamily()
    {
        var spec = Spec();
        // ReLU's best validation epoch is its last; the others' is the first, 1 point below their last.
        static RunResult WithVal(RunConfig c, RunResult r) => r with
        {
            Epochs = r.Epochs.Select(e => e with { ValAccuracy = e.Epoch == (c.Activation == "relu" ? 2 : 1) ? 0.99 : 0.98 }).ToArray(),
        };
        new GridRunner(spec, Dir.Path, (c, f, t) => WithVal(c, Train(c, f, t))).Run("cmd");
        var report = StudyReport.FromGrid(Dir.Path);
        Assert.Equal(4, report.Comparisons.Count);
        Assert.Equal(8, report.TestCount);
        var raw = report.Comparisons.SelectMany(c => c.Tests).Select(t => t.P).ToArray();
        Assert.Equal(Statistics.HolmAdjust(raw), report.Comparisons.SelectMany(c => c.Tests).Select(t => t.AdjustedP));
        var exlu = report.Comparisons.Single(c => c.Measure == AccuracyMeasure.AtBestVal && c.Configuration.StartsWith("exlu"));
        Assert.Equal(ExluBig.Average() - 0.01 - Relu.Average(), exlu.Welch.Difference, 12);
        Assert.Equal(Statistics.Paired(ExluBig.Select(a => a - 0.01).ToArray(), Relu).T, exlu.Paired!.T, 9);
        Assert.StartsWith("exlu-a1-fixed-default (at best-val epoch) vs relu-default: \u22120.50 points", exlu.Verdict);
        Assert.Contains("(of 8 tests)", exlu.Verdict);

        string md = report.ToMarkdown();
        Assert.Contains("### Against relu, test accuracy at the best-validation epoch", md);
        Assert.Contains("over all 8 tests of this report", md);
        var paths = report.Write(Path.Combine(Dir.Path, "report"));
        var csv = File.ReadAllLines(paths[1]);
        var header = csv[0].Split(',');
        var row = csv.Single(l => l.StartsWith("exlu-")).Split(',');
        Assert.Equal(exlu.Welch.Difference, double.Parse(row[Array.IndexOf(header, "best_val_diff")], CultureInfo.InvariantCulture), 15);
        Assert.Equal(exlu.Paired.AdjustedP, double.Parse(row[Array.IndexOf(header, "best_val_paired_p_holm")], CultureInfo.InvariantCulture), 15);
        Assert.Contains("\"measure\": \"AtBestVal\"", File.ReadAllText(paths[2]));
    }

    [Fact]
    public void WritesMarkdownCsvAndJson()
    {
        var report = MakeGrid();
        var paths = report.Write(Path.Combine(Dir.Path, "report"));
        string md = File.ReadAllText(paths[0]);
        Assert.Contains("# Activation study: mnist / mlp", md);
        Assert.Contains("| relu-default | 5 | 98.01 ± 0.09 |", md);
        Assert.Contains("within noise", md);
        Assert.Contains("significant at 5%", md);
        Assert.Contains("## The grid that was run", md);
        Assert.Contains("\"activations\": [", md);
        Assert.Contains("activations compare --activations relu,talu,exlu --seeds 1-5", md);

        var csv = File.ReadAllLines(paths[1]);
        Assert.Equal(4, csv.Length);
        var header = csv[0].Split(',');
        var exlu = csv.Single(l => l.StartsWith("exlu-")).Split(',');
        Assert.Equal(ExluBig.Average(), double.Parse(exlu[Array.IndexOf(header, "final_acc_mean")], CultureInfo.InvariantCulture), 12);
        Assert.Equal("relu-default", exlu[Array.IndexOf(header, "baseline")]);
        Assert.Equal("1 2 3 4 5", exlu[Array.IndexOf(header, "paired_seeds")]);
        var cmp = report.Comparisons.Single(c => c.Configuration.StartsWith("exlu"));
        foreach (var (column, value) in new[] { ("cohens_d", cmp.Welch.EffectSize), ("welch_p_holm", cmp.Welch.AdjustedP),
            ("paired_ci_low", cmp.Paired!.CiLow), ("paired_ci_high", cmp.Paired.CiHigh), ("cohens_dz", cmp.Paired.EffectSize), ("paired_p_holm", cmp.Paired.AdjustedP) })
            Assert.Equal(value, double.Parse(exlu[Array.IndexOf(header, column)], CultureInfo.InvariantCulture), 15);
        Assert.Equal("4", exlu[Array.IndexOf(header, "holm_tests")]);
        Assert.Equal("", csv.Single(l => l.StartsWith("relu-")).Split(',')[Array.IndexOf(header, "cohens_d")]);

        using var json = JsonDocument.Parse(File.ReadAllText(paths[2]));
        var configs = json.RootElement.GetProperty("configurations");
        Assert.Equal(3, configs.GetArrayLength());
        Assert.Equal(5, configs[0].GetProperty("n").GetInt32());
        Assert.Equal(2, json.RootElement.GetProperty("comparisons").GetArrayLength());
        Assert.Equal("relu", json.RootElement.GetProperty("baseline").GetString());
        Assert.Equal(4, json.RootElement.GetProperty("holm_tests").GetInt32());
        var welch = json.RootElement.GetProperty("comparisons")[0].GetProperty("welch");
        Assert.Equal(cmp.Welch.AdjustedP, welch.GetProperty("adjusted_p").GetDouble(), 15);
        Assert.Equal(cmp.Welch.EffectSize, welch.GetProperty("effect_size").GetDouble(), 15);
    }

    [Fact]
    public void UnfinishedRunsAreListedNotCounted()
    {
        MakeGrid();
        File.Delete(Path.Combine(Dir.Path, "talu-a1-fixed-default-s5", RunFolder.DoneFile));
        var report = StudyReport.FromGrid(Dir.Path);
        Assert.Equal(["talu-a1-fixed-default-s5"], report.UnfinishedRuns);
        Assert.Equal(4, report.Configurations.Single(c => c.Activation == "talu").N);
        Assert.Equal([1, 2, 3, 4], report.Comparisons.Single(c => c.Configuration.StartsWith("talu")).PairedSeeds);
        Assert.Contains("## Unfinished runs (1)", report.ToMarkdown());
    }

    [Fact]
    public void ReadsTheAppsRunFoldersWithPercentAccuracy()
    {
        var folders = new List<string>();
        foreach (var (act, accs) in new[] { ("relu", Relu), ("exlu", ExluBig) })
            for (int seed = 1; seed <= 5; seed++)
            {
                string f = Path.Combine(Dir.Path, $"{act}-{seed}");
                Directory.CreateDirectory(f);
                File.WriteAllText(Path.Combine(f, "config.json"),
                    $$"""{"dataset": "mnist", "model": "cnn", "activation": "{{act}}", "alpha": 1.0, "learnable_alpha": false, "epochs": 2, "batch": 64, "lr": 0.01, "momentum": 0.9, "seed": {{seed}}, "device": "cpu", "out": "{{f}}"}""");
                double pct = accs[seed - 1] * 100;
                File.WriteAllText(Path.Combine(f, "metrics.csv"),
                    "epoch,train_loss,test_loss,test_accuracy,seconds,images_per_sec,lr\n"
                    + $"1,0.3,0.25,{(pct - 1).ToString(CultureInfo.InvariantCulture)},4.0,15000,0.01\n"
                    + $"2,0.1,0.08,{pct.ToString(CultureInfo.InvariantCulture)},4.0,15000,0.01\n");
                folders.Add(f);
            }
        var report = StudyReport.FromRunFolders(folders);
        Assert.Equal(["relu-default", "exlu-a1-fixed-default"], report.Configurations.Select(c => c.Name));
        Assert.Equal(Relu.Average(), report.Configurations[0].FinalAccuracy.Mean, 12);
        Assert.Null(report.Configurations[0].Alpha);
        Assert.Equal(4, report.Configurations[1].SecondsPerEpoch);
        var cmp = Assert.Single(report.Comparisons);
        Assert.True(cmp.Welch.IsSignificant);
    }

    [Fact]
    public void MetricsJsonInEitherShape()
    {
        string f = Path.Combine(Dir.Path, "m");
        Directory.CreateDirectory(f);
        File.WriteAllText(Path.Combine(f, "metrics.json"),
            """{"epochs": [{"epoch": 1, "trainLoss": 0.5, "testAccuracy": 0.9}, {"epoch": 2, "train_loss": 0.4, "test_accuracy": "0.95", "seconds": 2}]}""");
        var m = RunFolder.ReadMetrics(f)!;
        Assert.Equal(2, m.Count);
        Assert.Equal((0.4, 0.95, 2.0), (m[1].TrainLoss, m[1].TestAccuracy, m[1].Seconds));
        Assert.True(double.IsNaN(m[0].Seconds));
        File.WriteAllText(Path.Combine(f, "metrics.json"), """[{"epoch": 1, "train_loss": 0.5, "test_accuracy": 91.5}]""");
        Assert.Equal(0.915, RunFolder.ReadMetrics(f)![0].TestAccuracy, 12);
    }
}
