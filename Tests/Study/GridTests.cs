// Grid expansion (ids, which activations take α, seed-major order, the same seeds for all) and the
// runner's resume rules, with a fake train function that writes metrics instantly.
using System.Text.Json;
using Activations.Tests.Infrastructure;
using Activations.Training.Data;
using Activations.Training.Run;
using Activations.Training.Study;

namespace Activations.Tests.Study;

public sealed class GridTests : WithTempDir
{
    private static GridSpec Spec(params int[] seeds) => new()
    {
        Dataset = "mnist",
        Model = "mlp",
        Epochs = 3,
        Activations = ["relu", "TaLU", "leaky_relu"],
        Alphas = [0.5, 1],
        Learnable = [false, true],
        Inits = ["default", "he"],
        Seeds = seeds.Length == 0 ? [1, 2] : seeds,
    };

    /// <summary>A fake trainer: three epochs whose accuracy depends on the activation and seed, written as the app would.</summary>
    private static RunResult FakeTrain(RunConfig c, string folder, CancellationToken _)
    {
        var epochs = Enumerable.Range(1, c.Epochs).Select(e =>
            new EpochMetrics(e, 1.0 / e, 1.1 / e, 0.9 + 0.01 * e + 0.001 * c.Seed, 2.0, 30000, c.Lr)).ToArray();
        File.WriteAllText(Path.Combine(folder, "metrics.json"), JsonSerializer.Serialize(epochs));
        return new RunResult { Epochs = epochs };
    }

    [Fact]
    public void PinnedAlphaOverridesTheGridAlphas()
    {
        var runs = (Spec(0) with { Activations = ["relu", "talu:1", "exlu:0.2"], Learnable = [false], Inits = ["default"] }).Expand();
        Assert.Equal(["relu-default-s0", "talu-a1-fixed-default-s0", "exlu-a0.2-fixed-default-s0"], runs.Select(r => r.Id).ToArray());
        Assert.Equal(0.2f, runs[2].Alpha!.Value);
        var noAlpha = Assert.Throws<ArgumentException>(() => (Spec(0) with { Activations = ["relu:1"] }).Expand());
        Assert.Contains("relu", noAlpha.Message);
        var badAlpha = Assert.Throws<ArgumentException>(() => (Spec(0) with { Activations = ["exlu:abc"] }).Expand());
        Assert.Contains("'abc' is not a number", badAlpha.Message);
    }

    [Fact]
    public void ExpandsWithStableIds()
    {
        var runs = Spec().Expand();
        // Per seed: relu 2 inits; talu 2 α × 2 learnable × 2 inits; leakyrelu 1 slope × 2 learnable × 2 inits.
        Assert.Equal(2 * (2 + 8 + 4), runs.Count);
        var ids = runs.Select(r => r.Id).ToArray();
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.Contains("relu-default-s1", ids);
        Assert.Contains("relu-he-s2", ids);
        Assert.Contains("talu-a1-fixed-default-s1", ids);
        Assert.Contains("talu-a0.5-learn-he-s2", ids);
        Assert.Contains("leakyrelu-a0.01-fixed-default-s1", ids);
        Assert.DoesNotContain(ids, id => id.StartsWith("relu-a"));
        Assert.DoesNotContain(ids, id => id.StartsWith("leakyrelu-a1-") || id.StartsWith("leakyrelu-a0.5-"));

        var talu = runs.Single(r => r.Id == "talu-a0.5-learn-he-s2");
        Assert.Equal(("talu", 0.5f, true, "he", 2UL), (talu.Activation, talu.Alpha!.Value, talu.LearnableAlpha, talu.Init, talu.Seed));
        Assert.Equal("talu-a0.5-learn-he", talu.Key);
        Assert.Equal(("mnist", "mlp", 3), (talu.Dataset, talu.Model, talu.Epochs));
        var relu = runs.Single(r => r.Id == "relu-default-s1");
        Assert.Null(relu.Alpha);
        Assert.False(relu.LearnableAlpha);

        // Seed-major: every run of seed 1 before any of seed 2; and every configuration gets every seed.
        Assert.All(runs.Take(14), r => Assert.Equal(1UL, r.Seed));
        Assert.All(runs.GroupBy(r => r.Key), g => Assert.Equal([1UL, 2UL], g.Select(r => r.Seed)));
        // Stable: the same spec gives the same ids in the same order.
        Assert.Equal(ids, Spec().Expand().Select(r => r.Id));
    }

    [Fact]
    public void RejectsBadGrids()
    {
        Assert.Throws<ArgumentException>(() => (Spec() with { Activations = ["nope"] }).Expand());
        Assert.Throws<ArgumentOutOfRangeException>(() => (Spec() with { Alphas = [-1] }).Expand());
        Assert.Throws<ArgumentException>(() => (Spec() with { Seeds = [1, 1] }).Expand());
        Assert.Throws<ArgumentException>(() => (Spec() with { Seeds = [] }).Expand());
        Assert.Throws<ArgumentException>(() => (Spec() with { Inits = ["a/b"] }).Expand());
    }

    [Fact]
    public void RunsEverythingThenSkipsFinishedRuns()
    {
        var spec = Spec(1) with { Activations = ["relu", "talu"], Alphas = [1], Learnable = [false], Inits = ["default"] };
        var calls = new List<string>();
        TrainFunction train = (c, f, ct) =>
        {
            calls.Add(c.Id);
            Assert.Equal(Path.Combine(Dir.Path, c.Id), f);
            Assert.True(File.Exists(Path.Combine(f, RunFolder.RunFile)), "run.json is written before training");
            return FakeTrain(c, f, ct);
        };
        var first = new GridRunner(spec, Dir.Path, train).Run("activations compare --grid x");
        Assert.True(first.Complete);
        Assert.Equal(["relu-default-s1", "talu-a1-fixed-default-s1"], calls);
        Assert.All(calls, id => Assert.True(RunFolder.IsDone(Path.Combine(Dir.Path, id))));

        var done = RunFolder.ReadDone(Path.Combine(Dir.Path, "talu-a1-fixed-default-s1"));
        Assert.Equal("talu", done.Config.Activation);
        Assert.Equal(3, done.Result.Epochs.Count);
        Assert.Equal(0.931, done.FinalTestAccuracy, 12);

        calls.Clear();
        var second = new GridRunner(spec, Dir.Path, train).Run("activations compare --grid x --resume");
        Assert.Empty(calls);
        Assert.Equal(2, second.Skipped.Count);
        var manifest = GridRunner.ReadManifest(Dir.Path);
        Assert.Equal("activations compare --grid x", manifest.CommandLine);
        Assert.Equal(2, manifest.Invocations.Count);
        Assert.Equal(["relu-default-s1", "talu-a1-fixed-default-s1"], manifest.RunIds);
    }

    [Fact]
    public void RerunsUnfinishedAndFailedRunsOnly()
    {
        var spec = Spec(1, 2) with { Activations = ["relu", "exlu"], Alphas = [1], Learnable = [false], Inits = ["default"] };
        // First attempt: exlu seed 1 throws; the run after it is "killed" mid-training (cancelled).
        using var cts = new CancellationTokenSource();
        var calls = new List<string>();
        TrainFunction flaky = (c, f, ct) =>
        {
            calls.Add(c.Id);
            if (c.Id == "exlu-a1-fixed-default-s1") throw new InvalidOperationException("out of memory, say");
            if (c.Id == "relu-default-s2")
            {
                File.WriteAllText(Path.Combine(f, "checkpoint.bin"), "epoch 2");
                cts.Cancel();
                ct.ThrowIfCancellationRequested();
            }
            return FakeTrain(c, f, ct);
        };
        var first = new GridRunner(spec, Dir.Path, flaky).Run("cmd", cts.Token);
        Assert.True(first.Cancelled);
        Assert.Equal(["relu-default-s1"], first.Trained);
        Assert.Equal(["exlu-a1-fixed-default-s1"], first.Failed);
        Assert.Equal(["relu-default-s2", "exlu-a1-fixed-default-s2"], first.NotRun);
        Assert.True(File.Exists(Path.Combine(Dir.Path, "exlu-a1-fixed-default-s1", RunFolder.FailedFile)));
        Assert.False(RunFolder.IsDone(Path.Combine(Dir.Path, "relu-default-s2")));

        // Second attempt: only the three unfinished runs train; the interrupted one finds its checkpoint.
        calls.Clear();
        var sawCheckpoint = false;
        TrainFunction good = (c, f, ct) =>
        {
            calls.Add(c.Id);
            if (c.Id == "relu-default-s2") sawCheckpoint = File.Exists(Path.Combine(f, "checkpoint.bin"));
            return FakeTrain(c, f, ct);
        };
        var second = new GridRunner(spec, Dir.Path, good).Run("cmd");
        Assert.True(second.Complete);
        Assert.Equal(["exlu-a1-fixed-default-s1", "relu-default-s2", "exlu-a1-fixed-default-s2"], calls);
        Assert.Equal(["relu-default-s1"], second.Skipped);
        Assert.True(sawCheckpoint, "an unfinished run keeps its folder by default, so a checkpoint can be resumed");
        Assert.False(File.Exists(Path.Combine(Dir.Path, "exlu-a1-fixed-default-s1", RunFolder.FailedFile)), "a finished retry removes failed.json");
    }

    [Fact]
    public void CleanUnfinishedStartsAfresh()
    {
        var spec = Spec(1) with { Activations = ["relu"], Inits = ["default"] };
        string folder = Path.Combine(Dir.Path, "relu-default-s1");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "checkpoint.bin"), "stale");
        bool sawStale = true;
        new GridRunner(spec, Dir.Path, (c, f, ct) =>
        {
            sawStale = File.Exists(Path.Combine(f, "checkpoint.bin"));
            return FakeTrain(c, f, ct);
        }) { CleanUnfinished = true }.Run("cmd");
        Assert.False(sawStale);
        Assert.True(RunFolder.IsDone(folder));
    }

    [Fact]
    public void RefusesADifferentGridInTheSameFolder()
    {
        var spec = Spec(1) with { Activations = ["relu"] };
        new GridRunner(spec, Dir.Path, FakeTrain).Run("first");
        var e = Assert.Throws<GridMismatchException>(() => new GridRunner(spec with { Epochs = 5 }, Dir.Path, FakeTrain).Run("second"));
        Assert.Contains("first", e.Message);
    }

    [Fact]
    public void AResultWithoutEpochsFailsTheRun()
    {
        var spec = Spec(1) with { Activations = ["relu"], Inits = ["default"] };
        var outcome = new GridRunner(spec, Dir.Path, (_, _, _) => new RunResult { Epochs = [] }).Run("cmd");
        Assert.Equal(["relu-default-s1"], outcome.Failed);
        Assert.False(RunFolder.IsDone(Path.Combine(Dir.Path, "relu-default-s1")));
    }

    [Fact]
    public void ManifestRoundTripsTheSpec()
    {
        var spec = Spec() with { Extra = new(StringComparer.Ordinal) { ["weightDecay"] = "0.0005" } };
        new GridRunner(spec, Dir.Path, FakeTrain).Run("cmd");
        var back = GridRunner.ReadManifest(Dir.Path).Spec;
        Assert.Equal(spec.CanonicalJson(), back.CanonicalJson());
        Assert.Equal(spec.Expand().Select(r => r.Id), back.Expand().Select(r => r.Id));
        Assert.Equal("0.0005", RunFolder.ReadDone(Path.Combine(Dir.Path, "relu-default-s1")).Config.Extra["weightDecay"]);
    }

    [Fact]
    public void AManifestOfAnOlderFormatIsOneErrorLine()
    {
        // The committed docs/study grids were written with camelCase keys, before RunJson's snake_case.
        Directory.CreateDirectory(Dir.Path);
        string path = Path.Combine(Dir.Path, GridRunner.ManifestFile);
        File.WriteAllText(path, """{"formatVersion": 1, "spec": {"dataset": "mnist", "model": "mlp"}, "commandLine": "x", "runIds": []}""");
        var e = Assert.Throws<DataFormatException>(() => GridRunner.ReadManifest(Dir.Path));
        Assert.StartsWith($"{path}: not a grid manifest this version reads (", e.Message);
        var (code, _, err) = AppCli.Run(["plot", "--grid", Dir.Path]);
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {path}: not a grid manifest", err);
        Assert.DoesNotContain("Exception", err);
        File.WriteAllText(path, "{ not json");
        Assert.Throws<DataFormatException>(() => GridRunner.ReadManifest(Dir.Path));
        Assert.Throws<DataFormatException>(() => new GridRunner(Spec(1), Dir.Path, FakeTrain).Run("again"));
    }
}
