// Sharding and claims of a grid, in process with a fake train function: shards partition the grid
// whatever their number; the shard comes from --shard, Slurm's or Kubernetes' variables; workers
// on one folder never train a run twice; grid.json is written once and a different spec is refused
// naming the first difference; --status sorts runs into done, running, stale and missing.
using System.Collections.Concurrent;
using System.Text.Json;
using Activations.Tests.Infrastructure;
using Activations.Training.Run;
using Activations.Training.Study;

namespace Activations.Tests.Study;

public sealed class GridShardingTests
{
    private static GridSpec Spec() => new()
    {
        Dataset = "mnist", Model = "mlp", Epochs = 2, Activations = ["relu", "talu", "exlu"], Alphas = [0.5, 1], Seeds = [0, 1, 2],
    };

    private static RunResult Fake(RunConfig c) => new()
    {
        Epochs = Enumerable.Range(1, c.Epochs).Select(e => new EpochMetrics(e, 1.0 / e, 1.1 / e, 0.9 + 0.001 * c.Seed, 1, 1000, c.Lr)).ToArray(),
    };

    [Fact]
    public void ShardsPartitionTheGridByIndexModNWhateverN()
    {
        var ids = Spec().Expand().Select(r => r.Id).ToArray();
        Assert.Equal(15, ids.Length);
        foreach (int n in new[] { 1, 2, 4, 15, 20 })
        {
            var seen = new List<string>();
            for (int i = 0; i < n; i++)
            {
                using var dir = new TempDir();
                var trained = new List<string>();
                var outcome = new GridRunner(Spec(), dir.Path, (c, f, _) => { trained.Add(c.Id); return Fake(c); }) { Shard = new GridShard(i, n) }.Run("test");
                Assert.True(outcome.Complete);
                Assert.Equal(ids.Where((_, k) => k % n == i), trained);
                seen.AddRange(trained);
            }
            Assert.Equal(ids.Order(), seen.Order());
        }
    }

    [Theory]
    [InlineData("1/4", null, "", "", 1, 4, "--shard 1/4")]
    [InlineData(null, null, "3,4", "", 3, 4, "SLURM_ARRAY_TASK_ID=3, SLURM_ARRAY_TASK_COUNT=4")]
    [InlineData(null, null, "7,4,5", "", 2, 4, "SLURM_ARRAY_TASK_ID=7, SLURM_ARRAY_TASK_COUNT=4, SLURM_ARRAY_TASK_MIN=5")]
    [InlineData(null, 3, "", "2", 2, 3, "JOB_COMPLETION_INDEX=2, --shards 3")]
    [InlineData("0/2", null, "3,4", "", 0, 2, "--shard 0/2")]
    public void TheShardComesFromTheOptionOrTheSchedulersVariables(string? shard, int? shards, string slurm, string k8s, int index, int count, string source)
    {
        var env = new Dictionary<string, string>();
        var s = slurm.Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (s.Length > 0) { env["SLURM_ARRAY_TASK_ID"] = s[0]; env["SLURM_ARRAY_TASK_COUNT"] = s[1]; }
        if (s.Length > 2) env["SLURM_ARRAY_TASK_MIN"] = s[2];
        if (k8s.Length > 0) env["JOB_COMPLETION_INDEX"] = k8s;
        var got = GridShard.Resolve(shard, shards, k => env.GetValueOrDefault(k), out string from);
        Assert.Equal(new GridShard(index, count), got);
        Assert.Equal(source, from);
        Assert.Null(GridShard.Resolve(null, null, _ => null, out _));
    }

    [Theory]
    [InlineData("4/4", null, null, "not a shard I/N")]
    [InlineData("a/b", null, null, "not a shard I/N")]
    [InlineData("1/4", 3, null, "disagree")]
    [InlineData(null, 2, null, "needs a shard index")]
    [InlineData(null, null, "5", "is set, but not --shards")]
    public void InconsistentShardsAreRefused(string? shard, int? shards, string? completion, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => GridShard.Resolve(shard, shards, k => k == "JOB_COMPLETION_INDEX" ? completion : null, out _));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void WorkersSharingAFolderNeverTrainARunTwice()
    {
        using var dir = new TempDir();
        var calls = new ConcurrentBag<string>();
        var outcomes = new GridRunOutcome[3];
        Parallel.For(0, outcomes.Length, new ParallelOptions { MaxDegreeOfParallelism = outcomes.Length }, w =>
            outcomes[w] = new GridRunner(Spec(), dir.Path, (c, f, _) =>
            {
                calls.Add(c.Id);
                Thread.Sleep(30); // long enough for the others to find the run claimed
                return Fake(c);
            }) { Claim = true, PollInterval = TimeSpan.FromMilliseconds(50) }.Run($"worker {w}"));
        Assert.Equal(15, calls.Count);
        Assert.Equal(15, calls.Distinct().Count());
        Assert.All(outcomes, o => Assert.True(o.Complete));
        Assert.Equal(15, outcomes.Sum(o => o.Trained.Count));
        Assert.All(Spec().Expand(), r => Assert.False(File.Exists(Path.Combine(dir.Path, r.Id, RunClaim.FileName)), "claims are released"));
    }

    [Fact]
    public void AWorkerStartingWhileAnotherAppendsToTheInvocationLogWaitsForIt()
    {
        // The cause of a flaky WorkersSharingAFolderNeverTrainARunTwice: a worker reading invocations.log
        // (to check the spec) while another held it for its append got "being used by another process".
        using var dir = new TempDir();
        var spec = Spec() with { Seeds = [0] };
        new GridRunner(spec, dir.Path, (c, f, _) => Fake(c)).Run("first worker");
        // Another worker appending: it holds the log exclusively for 300 ms from before this worker starts.
        var appending = new FileStream(Path.Combine(dir.Path, GridRunner.InvocationsFile), FileMode.Open, FileAccess.Write, FileShare.None);
        var other = new Thread(() => { Thread.Sleep(300); appending.Dispose(); });
        other.Start();
        var outcome = new GridRunner(spec, dir.Path, (c, f, _) => Fake(c)).Run("second worker");
        other.Join();
        Assert.True(outcome.Complete);
        Assert.Equal(["first worker", "second worker"], GridRunner.ReadManifest(dir.Path).Invocations.Select(i => i.CommandLine));
    }

    [Fact]
    public void AWorkerInClaimModeWaitsForAHeldRunAndTakesItOverWhenItsClaimGoesStale()
    {
        using var dir = new TempDir();
        var spec = Spec() with { Activations = ["relu"], Seeds = [0] };
        string folder = Path.Combine(dir.Path, "relu-default-s0");
        Directory.CreateDirectory(folder);
        // A worker on another node that stopped renewing its claim a moment ago.
        File.WriteAllText(Path.Combine(folder, RunClaim.FileName), JsonSerializer.Serialize(new ClaimInfo
        {
            Host = "node-that-died", Pid = 99, Token = "x", ClaimedUtc = DateTime.UtcNow, HeartbeatUtc = DateTime.UtcNow,
        }, RunJson.Options));
        var log = new ConcurrentQueue<string>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outcome = new GridRunner(spec, dir.Path, (c, f, _) => Fake(c))
        {
            Lease = TimeSpan.FromSeconds(1), PollInterval = TimeSpan.FromMilliseconds(200), Log = log.Enqueue,
        }.Run("test");
        Assert.True(outcome.Complete);
        Assert.Equal(["relu-default-s0"], outcome.Trained);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"took over after {clock.Elapsed}, before the lease ran out");
        Assert.Contains(log, l => l.Contains("another worker holds this grid: working beside it"));
        Assert.Contains(log, l => l.Contains("running elsewhere (pid 99 on node-that-died"));
        Assert.Contains(log, l => l.Contains("took over the stale claim of pid 99 on node-that-died"));
    }

    [Fact]
    public void GridJsonIsWrittenOnceAndADifferentSpecIsRefusedNamingTheFirstDifference()
    {
        using var dir = new TempDir();
        var spec = Spec() with { Seeds = [0] };
        new GridRunner(spec, dir.Path, (c, f, _) => Fake(c)).Run("first command");
        string manifest = Path.Combine(dir.Path, GridRunner.ManifestFile);
        byte[] before = File.ReadAllBytes(manifest);
        new GridRunner(spec, dir.Path, (c, f, _) => Fake(c)).Run("second command");
        Assert.Equal(before, File.ReadAllBytes(manifest));
        Assert.Contains("second command", File.ReadAllText(Path.Combine(dir.Path, GridRunner.InvocationsFile)));
        Assert.Equal(["first command", "second command"], GridRunner.ReadManifest(dir.Path).Invocations.Select(i => i.CommandLine));

        var e = Assert.Throws<GridMismatchException>(() => new GridRunner(spec with { Epochs = 3 }, dir.Path, (c, f, _) => Fake(c)).Run("x"));
        Assert.Contains("epochs: stored 2, given 3", e.Message);
        e = Assert.Throws<GridMismatchException>(() => new GridRunner(spec with { Alphas = [0.5, 2] }, dir.Path, (c, f, _) => Fake(c)).Run("x"));
        Assert.Contains("alphas: stored [0.5,1], given [0.5,2]", e.Message);
        Assert.Equal(before, File.ReadAllBytes(manifest));
        Assert.Null(spec.FirstDifference(spec with { }));
    }

    [Fact]
    public void ConcurrentWorkersAgreeOnOneGridJson()
    {
        using var dir = new TempDir();
        Parallel.For(0, 8, w => new GridRunner(Spec() with { Seeds = [0] }, dir.Path, (c, f, _) => Fake(c)) { Claim = true, PollInterval = TimeSpan.FromMilliseconds(20) }.Run($"worker {w}"));
        var manifest = GridRunner.ReadManifest(dir.Path);
        Assert.Equal(8, manifest.Invocations.Count);
        Assert.Equal(8, manifest.Invocations.Select(i => i.CommandLine).Distinct().Count());
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp*"));
    }

    [Fact]
    public void StatusSortsRunsIntoDoneRunningStaleAndMissing()
    {
        using var dir = new TempDir();
        var spec = Spec() with { Activations = ["relu"], Seeds = [0, 1, 2, 3] };
        new GridRunner(spec with { }, dir.Path, (c, f, _) => c.Seed == 0 ? Fake(c) : throw new InvalidOperationException("boom")).Run("test");
        using var running = RunClaim.TryAcquire(Path.Combine(dir.Path, "relu-default-s1"), TimeSpan.FromMinutes(1), out _)!;
        File.WriteAllText(Path.Combine(dir.Path, "relu-default-s2", RunClaim.FileName), JsonSerializer.Serialize(new ClaimInfo
        {
            Host = "gone", Pid = 5, Token = "t", ClaimedUtc = DateTime.UtcNow.AddHours(-1), HeartbeatUtc = DateTime.UtcNow.AddHours(-1),
        }, RunJson.Options));
        var status = GridRunner.Status(dir.Path, TimeSpan.FromMinutes(1)).ToDictionary(s => s.Id);
        Assert.Equal(GridRunState.Done, status["relu-default-s0"].State);
        Assert.Equal(GridRunState.Running, status["relu-default-s1"].State);
        Assert.Equal(Environment.ProcessId, status["relu-default-s1"].Claim!.Info!.Pid);
        Assert.Equal(GridRunState.Stale, status["relu-default-s2"].State);
        Assert.Equal(GridRunState.Missing, status["relu-default-s3"].State);
        Assert.Contains("boom", status["relu-default-s3"].Failure);
    }

    [Theory]
    [InlineData("--shards", "2", "--shard: --shards 2 needs a shard index")]
    [InlineData("--shard", "2/2", "--shard: '2/2' is not a shard I/N")]
    [InlineData("--lease", "forever", "--lease: 'forever' is not a duration")]
    public void BadClusterOptionsAreUsageErrors(string option, string value, string message)
    {
        using var dir = new TempDir();
        var r = AppCli.Run("compare", option, value, "--device", "cpu", "--out", dir.Path);
        Assert.Equal(2, r.Code);
        Assert.StartsWith($"error: {message}", r.Err);
    }

    [Fact]
    public void ReportOnlyMergesWhatFinishedListingMissingRunsAndADifferentSpecIsAUsageError()
    {
        using var dir = new TempDir();
        var r = AppCli.Run("compare", "--report-only", "--out", dir.Path);
        Assert.Equal(2, r.Code);
        Assert.Contains("has no grid.json", r.Err);

        // Half a grid, as a shard leaves it: seed 0 of relu and talu done, seed 1 not.
        var spec = new GridSpec { Dataset = "mnist", Model = "mlp", Epochs = 1, Device = "cpu", Activations = ["relu", "talu"], Seeds = [0, 1] };
        new GridRunner(spec, dir.Path, (c, f, _) => Fake(c)) { Shard = new GridShard(0, 2) }.Run("shard 0");
        r = AppCli.Run("compare", "--report-only", "--out", dir.Path);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("report: 2 of 4 runs finished; missing: talu-a1-fixed-default-s0, talu-a1-fixed-default-s1", r.Out);
        Assert.Contains("relu-default: n = 2", r.Out);
        string md = File.ReadAllText(Path.Combine(dir.Path, StudyReport.MarkdownFile));
        Assert.Contains("## Unfinished runs (2)", md);

        r = AppCli.Run("compare", "--activations", "relu,talu", "--seeds", "0-1", "--epochs", "3", "--device", "cpu", "--out", dir.Path);
        Assert.Equal(2, r.Code);
        Assert.StartsWith($"error: --out: {dir.Path} already holds a different grid (epochs: stored 1, given 3;", r.Err);
    }
}
