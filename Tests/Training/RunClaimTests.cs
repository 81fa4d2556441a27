// The run-folder lock (claim.json): exclusive while held, renewed by its heartbeat, released on
// dispose, and taken over (with a message) when its heartbeat is older than the lease or its pid
// on this host has died.
using System.Diagnostics;
using System.Text.Json;
using Activations.Tests.Infrastructure;
using Activations.Training;
using Activations.Training.Run;

namespace Activations.Tests.Training;

public class RunClaimTests
{
    private static readonly JsonSerializerOptions Json = RunJson.Options;

    private static void WriteClaim(string folder, ClaimInfo info)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, RunClaim.FileName), JsonSerializer.Serialize(info, Json));
    }

    private static ClaimInfo Foreign(string host, int pid, DateTime heartbeat) => new()
    {
        Host = host, Pid = pid, Token = Guid.NewGuid().ToString("N"), ClaimedUtc = heartbeat, HeartbeatUtc = heartbeat, ProcessStartUtc = heartbeat,
    };

    /// <summary>The pid of a process that has exited.</summary>
    private static int DeadPid()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }

    [Fact]
    public void ASecondClaimIsRefusedWhileTheFirstIsHeldAndGrantedAfterItIsReleased()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var first = RunClaim.TryAcquire(run, TimeSpan.FromMinutes(1), out _);
        Assert.NotNull(first);
        var info = JsonSerializer.Deserialize<ClaimInfo>(File.ReadAllText(Path.Combine(run, RunClaim.FileName)), Json)!;
        Assert.Equal(Environment.ProcessId, info.Pid);
        Assert.Equal(Environment.MachineName, info.Host);

        Assert.Null(RunClaim.TryAcquire(run, TimeSpan.FromMinutes(1), out var holder));
        Assert.Equal(ClaimState.Held, holder.State);
        Assert.Equal(first!.Info.Token, holder.Info!.Token);
        var e = Assert.Throws<RunClaimedException>(() => RunClaim.Acquire(run, TimeSpan.FromMinutes(1)));
        Assert.Contains($"is in use by pid {Environment.ProcessId} on {Environment.MachineName}", e.Message);

        first.Dispose();
        Assert.False(File.Exists(Path.Combine(run, RunClaim.FileName)));
        using var second = RunClaim.TryAcquire(run, TimeSpan.FromMinutes(1), out _);
        Assert.NotNull(second);
        Assert.NotEqual(first.Info.Token, second!.Info.Token);
    }

    [Fact]
    public void OnlyOneOfManyConcurrentClaimantsWins()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var claims = new RunClaim?[16];
        Parallel.For(0, claims.Length, i => claims[i] = RunClaim.TryAcquire(run, TimeSpan.FromMinutes(1), out _));
        Assert.Single(claims, c => c is not null);
        foreach (var c in claims) c?.Dispose();
    }

    [Fact]
    public void CreateNewHasExactlyOneWinnerWhoseContentStaysEveryRound()
    {
        // File.Move without overwrite checks and then renames, so two racers could both "create" a file.
        using var dir = new TempDir();
        for (int round = 0; round < 200; round++)
        {
            string path = dir.File($"f{round}");
            var won = new bool[8];
            Parallel.For(0, won.Length, new ParallelOptions { MaxDegreeOfParallelism = won.Length }, i => won[i] = AtomicFile.CreateNew(path, $"writer {i}"));
            Assert.Single(won, w => w);
            Assert.Equal($"writer {Array.IndexOf(won, true)}", File.ReadAllText(path));
        }
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void AReaderNeverSeesAClaimWithoutItsContent()
    {
        using var dir = new TempDir();
        string run = dir.File("run"), path = Path.Combine(run, RunClaim.FileName);
        Directory.CreateDirectory(run);
        // Until the reader has read 100 claims (a loaded machine may need long for that), at most 60 s.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Exception? failure = null;
        var claimant = new Thread(() =>
        {
            try { while (!stop.IsCancellationRequested) RunClaim.TryAcquire(run, TimeSpan.FromMinutes(1), out _)?.Dispose(); }
            catch (Exception e) { failure = e; }
        });
        claimant.Start();
        int seen = 0;
        try
        {
            while (seen < 100 && !stop.IsCancellationRequested)
            {
                string text;
                try { text = File.ReadAllText(path); }
                catch (FileNotFoundException) { continue; }
                Assert.NotNull(JsonSerializer.Deserialize<ClaimInfo>(text, Json));
                seen++;
            }
        }
        finally
        {
            stop.Cancel();
            claimant.Join();
        }
        Assert.Null(failure);
        Assert.True(seen > 0, "the reader never found the claim");
    }

    [Fact]
    public void TheHeartbeatKeepsAClaimFreshPastItsLease()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var lease = TimeSpan.FromSeconds(1);
        using var claim = RunClaim.TryAcquire(run, lease, out _)!;
        var before = claim.Info.HeartbeatUtc;
        Thread.Sleep(1600);
        var seen = RunClaim.Inspect(run, lease);
        Assert.Equal(ClaimState.Held, seen.State);
        Assert.True(seen.Info!.HeartbeatUtc > before, "the timer renewed the heartbeat");
        Assert.True(seen.HeartbeatAge < lease);
    }

    [Fact]
    public void AClaimWhoseHeartbeatIsOlderThanTheLeaseIsTakenOverAndSaysSo()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        WriteClaim(run, Foreign("another-node", 4242, DateTime.UtcNow.AddMinutes(-11)));
        var status = RunClaim.Inspect(run, RunClaim.DefaultLease);
        Assert.Equal(ClaimState.Stale, status.State);
        Assert.Contains("older than the lease of 10 min", status.StaleReason);

        // Within its lease, a claim from another host is held, whatever its pid.
        WriteClaim(dir.File("fresh"), Foreign("another-node", 4242, DateTime.UtcNow.AddMinutes(-9)));
        Assert.Null(RunClaim.TryAcquire(dir.File("fresh"), RunClaim.DefaultLease, out var holder));
        Assert.Equal("pid 4242 on another-node", holder.Info!.Describe());

        var log = new List<string>();
        using var claim = RunClaim.TryAcquire(run, RunClaim.DefaultLease, out _, log.Add);
        Assert.NotNull(claim);
        Assert.Equal(Environment.ProcessId, RunClaim.Inspect(run, RunClaim.DefaultLease).Info!.Pid);
        var line = Assert.Single(log);
        Assert.Contains("took over the stale claim of pid 4242 on another-node", line);
        Assert.Contains("older than the lease", line);
    }

    [SkippableFact]
    public void AClaimOfADeadPidOnThisHostIsTakenOverAtOnce()
    {
        Skip.If(OperatingSystem.IsWindows(), "uses the `true` program");
        using var dir = new TempDir();
        string run = dir.File("run");
        int dead = DeadPid();
        WriteClaim(run, Foreign(Environment.MachineName, dead, DateTime.UtcNow));
        var log = new List<string>();
        using var claim = RunClaim.TryAcquire(run, RunClaim.DefaultLease, out _, log.Add);
        Assert.NotNull(claim);
        Assert.Contains($"took over the stale claim of pid {dead} on {Environment.MachineName}", Assert.Single(log));
        Assert.Contains($"pid {dead} is no longer running", log[0]);
    }

    [Fact]
    public void AClaimOfALivePidThatStartedLaterIsAReusedPidAndStale()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        // Our own pid always counts as alive (one process may hold several claims), so use the parent's: live,
        // but a claimant that started an hour before it is another process that had the same pid.
        int parent = ParentPid();
        using var p = Process.GetProcessById(parent);
        var info = Foreign(Environment.MachineName, parent, DateTime.UtcNow);
        WriteClaim(run, info with { Pid = parent, ProcessStartUtc = p.StartTime.ToUniversalTime().AddHours(-1) });
        Assert.Equal(ClaimState.Stale, RunClaim.Inspect(run, RunClaim.DefaultLease).State);
        WriteClaim(run, info with { Pid = parent, ProcessStartUtc = p.StartTime.ToUniversalTime() });
        Assert.Equal(ClaimState.Held, RunClaim.Inspect(run, RunClaim.DefaultLease).State);
    }

    private static int ParentPid()
    {
        string stat = File.ReadAllText($"/proc/{Environment.ProcessId}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
    }

    [Fact]
    public void AnUnreadableClaimAgesByItsModificationTime()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        Directory.CreateDirectory(run);
        string path = Path.Combine(run, RunClaim.FileName);
        File.WriteAllText(path, "");
        Assert.Equal(ClaimState.Held, RunClaim.Inspect(run, TimeSpan.FromMinutes(1)).State);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-2));
        Assert.Equal(ClaimState.Stale, RunClaim.Inspect(run, TimeSpan.FromMinutes(1)).State);
    }

    [Fact]
    public void AHolderWhoseClaimWasTakenOverKnowsItAndDoesNotDeleteTheNewOne()
    {
        using var dir = new TempDir();
        string run = dir.File("run");
        var lease = TimeSpan.FromMinutes(1);
        var old = RunClaim.TryAcquire(run, lease, out _)!;
        WriteClaim(run, Foreign("another-node", 7, DateTime.UtcNow)); // as a taker would, after this holder stalled
        old.Heartbeat();
        Assert.True(old.Lost);
        old.Dispose();
        Assert.Equal("another-node", RunClaim.Inspect(run, lease).Info!.Host);
    }

    [Theory]
    [InlineData("10m", 600)]
    [InlineData("5s", 5)]
    [InlineData("90", 90)]
    [InlineData("1.5h", 5400)]
    [InlineData("500ms", 0.5)]
    public void LeasesParse(string text, double seconds) => Assert.Equal(TimeSpan.FromSeconds(seconds), RunClaim.ParseLease(text));

    [Theory]
    [InlineData("")]
    [InlineData("0s")]
    [InlineData("-5m")]
    [InlineData("ten minutes")]
    [InlineData("1,5m")]
    public void BadLeasesAreRefused(string text) => Assert.Null(RunClaim.ParseLease(text));

    [Theory]
    [InlineData("slurm:12_3#0", "slurm:12_3#1", true)]
    [InlineData("slurm:12#0", "slurm:12#2", true)]
    [InlineData("slurm:12_3#0", "slurm:12_3#0", false)] // a sibling process of the same task: it may be alive
    [InlineData("slurm:12_3#0", "slurm:12_4#1", false)]
    [InlineData("slurm:12_3#0", "slurm:13_3#1", false)]
    public void OnlyARequeuedSlurmTaskTakesItsPredecessorsClaimAtOnce(string claimed, string mine, bool restart) =>
        Assert.Equal(restart, RunClaim.IsRestartOf(claimed, mine));
}
