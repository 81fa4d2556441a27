// A grid split between real `activations` processes, as a cluster runs it: two --shard processes,
// two --claim processes, a worker killed mid-run whose run another takes over after the lease and
// resumes from its checkpoint, the run-folder lock between two `train --resume`, and (opt-in, with
// deploy/slurm/local-cluster.sh) a 2-task Slurm array. Each ends with the serial grid's report:
// summary.csv is compared without its timing columns (seconds per epoch, images per second).
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Activations.Tests.Infrastructure;
using Activations.Training.Run;
using Activations.Training.Study;
using Xunit.Abstractions;

namespace Activations.Tests.Study;

public class GridClusterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    /// <summary>A tiny grid of 4 runs: two activations × two seeds, one short epoch each.</summary>
    private static string[] Grid(string mirror, string folder) =>
        ["compare", "--activations", "relu,talu", "--seeds", "0-1", "--epochs", "1", "--limit-train", "256", "--limit-test", "128",
         "--device", "cpu", "--data", mirror, "--out", folder];

    /// <summary>summary.csv without the columns that measure time.</summary>
    public static string SummaryWithoutTiming(string gridFolder)
    {
        var lines = File.ReadAllLines(Path.Combine(gridFolder, StudyReport.CsvFile));
        var header = lines[0].Split(',');
        int[] timing = [Array.IndexOf(header, "seconds_per_epoch"), Array.IndexOf(header, "images_per_sec")];
        Assert.DoesNotContain(-1, timing);
        // No quoted commas in these rows' leading columns; the context column (quoted) is last and kept whole.
        return string.Join("\n", lines.Select(l =>
        {
            var cells = l.Split(',').ToList();
            foreach (int i in timing.OrderDescending()) cells.RemoveAt(i);
            return string.Join(",", cells);
        }));
    }

    private string Serial(string mirror, TempDir dir)
    {
        var r = AppCli.Run(Grid(mirror, dir.File("serial")));
        Assert.True(r.Code == 0, r.Err + r.Out);
        return SummaryWithoutTiming(dir.File("serial"));
    }

    private void Finish(AppProcess p, string name)
    {
        int code = p.WaitForExit(Patience);
        output.WriteLine($"--- {name} (exit {code})\n{p.Out}{p.Err}");
        Assert.True(code == 0, $"{name} exited {code}: {p.Err}");
    }

    [SkippableFact]
    public void TwoShardProcessesGiveTheSerialGridsReport()
    {
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        string grid = dir.File("sharded");
        using var a = AppCli.Start([.. Grid(mirror, grid), "--shard", "0/2"]);
        using var b = AppCli.Start([.. Grid(mirror, grid), "--shard", "1/2"]);
        Finish(a, "shard 0/2");
        Finish(b, "shard 1/2");
        Assert.Contains("shard 0/2 (from --shard 0/2)", a.Out);
        Assert.Contains("2 trained", a.Out);
        Assert.Contains("2 trained", b.Out);
        Assert.Contains("[1/4] relu-default-s0: training", a.Out); // index 0: shard 0
        Assert.Contains("[2/4] talu-a1-fixed-default-s0: training", b.Out);
        Assert.True(File.Exists(Path.Combine(grid, StudyReport.CsvFile)), "the last shard to finish writes the report");
        Assert.Equal(Serial(mirror, dir), SummaryWithoutTiming(grid));
    }

    [SkippableFact]
    public void TwoClaimProcessesOnOneFolderGiveTheSerialGridsReport()
    {
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        string grid = dir.File("claimed");
        using var a = AppCli.Start([.. Grid(mirror, grid), "--claim"]);
        using var b = AppCli.Start([.. Grid(mirror, grid), "--claim"]);
        Finish(a, "worker a");
        Finish(b, "worker b");
        int Trained(string text) => int.Parse(Regex.Match(text, @"(\d+) trained").Groups[1].Value);
        Assert.Equal(4, Trained(a.Out) + Trained(b.Out)); // no run trained twice
        Assert.Equal(Serial(mirror, dir), SummaryWithoutTiming(grid));
        var r = AppCli.Run("compare", "--status", "--out", grid);
        Assert.Equal(0, r.Code);
        Assert.Contains("4 runs: 4 done, 0 running, 0 stale, 0 missing", r.Out);
    }

    [SkippableFact]
    public void AKilledWorkersRunIsTakenOverAfterTheLeaseAndResumedFromItsCheckpoint()
    {
        Skip.If(OperatingSystem.IsWindows(), "SIGKILL");
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        string grid = dir.File("grid");
        string[] args = ["compare", "--activations", "relu", "--seeds", "0", "--epochs", "3", "--limit-train", "4096", "--limit-test", "128",
            "--batch", "16", "--device", "cpu", "--data", mirror, "--out", grid, "--claim", "--lease", "5s"];
        string run = Path.Combine(grid, "relu-default-s0");
        string checkpoint = Path.Combine(run, RunFolder.CheckpointFile), claimPath = Path.Combine(run, RunClaim.FileName);
        using (var a = AppCli.Start(args))
        {
            Assert.True(a.WaitFor(() => File.Exists(checkpoint), Patience), $"no checkpoint was written: {a.Out}{a.Err}");
            a.Kill(); // as a node that dies: no handler runs, the claim stays behind
            output.WriteLine($"--- worker a, killed after its first checkpoint\n{a.Out}{a.Err}");
            Assert.False(File.Exists(Path.Combine(run, "done.json")), "the run finished before the kill: the test needs a longer run");
        }
        // As if it had run on another node: this host cannot see that its pid is dead, only the lease tells.
        var claim = JsonSerializer.Deserialize<ClaimInfo>(File.ReadAllText(claimPath), RunJson.Options)!;
        File.WriteAllText(claimPath, JsonSerializer.Serialize(claim with { Host = "another-node", HeartbeatUtc = DateTime.UtcNow },
            RunJson.Options));
        var clock = Stopwatch.StartNew();
        using var b = AppCli.Start(args);
        Finish(b, "worker b");
        Assert.Contains($"running elsewhere (pid {claim.Pid} on another-node", b.Out);
        Assert.Contains($"took over the stale claim of pid {claim.Pid} on another-node", b.Out);
        Assert.Contains("older than the lease of 5 s", b.Out);
        Assert.Matches(@"resumed relu-default-s0 after epoch [12]", b.Out);
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(5), "the run was taken over before the lease ran out");
        Assert.False(File.Exists(claimPath), "worker b released its claim");

        var whole = AppCli.Run([.. args[..^5], "--out", dir.File("whole")]);
        Assert.True(whole.Code == 0, whole.Err);
        Assert.Equal(SummaryWithoutTiming(dir.File("whole")), SummaryWithoutTiming(grid));
    }

    [SkippableFact]
    public void ASecondResumeOfOneCheckpointIsRefusedWhileTheFirstRunsAndADeadOnesLockIsTakenOver()
    {
        Skip.If(OperatingSystem.IsWindows(), "SIGKILL");
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        string[] common = ["train", "--device", "cpu", "--data", mirror, "--limit-train", "4096", "--limit-test", "128", "--batch", "16",
            "--activation", "relu", "--seed", "2", "--out", dir.Path];
        var r = AppCli.Run([.. common, "--epochs", "1"]);
        Assert.True(r.Code == 0, r.Err);
        string run = Assert.Single(Directory.GetDirectories(dir.Path));
        string checkpoint = Path.Combine(run, RunFolder.CheckpointFile);
        string[] resume = [.. common, "--epochs", "4", "--resume", checkpoint];

        using (var first = AppCli.Start(resume))
        {
            Assert.True(first.WaitForOutput("run folder:", Patience), first.Out + first.Err);
            var second = AppCli.Run(resume);
            output.WriteLine($"--- second resume (exit {second.Code})\n{second.Out}{second.Err}");
            Assert.Equal(1, second.Code);
            Assert.StartsWith($"error: {run} is in use by pid {first.Id} on {Environment.MachineName}", second.Err);
            Assert.Single(second.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            first.Kill();
        }
        // The killed first resume left its claim; its pid is dead on this host, so the next resume takes it over at once.
        Assert.True(File.Exists(Path.Combine(run, RunClaim.FileName)));
        var third = AppCli.Run([.. common, "--epochs", "2", "--resume", checkpoint]);
        output.WriteLine($"--- third resume (exit {third.Code})\n{third.Out}{third.Err}");
        Assert.True(third.Code == 0, third.Err);
        Assert.Matches(@$"took over the stale claim of pid \d+ on {Regex.Escape(Environment.MachineName)}.*is no longer running", third.Err);
        Assert.False(File.Exists(Path.Combine(run, RunClaim.FileName)));
    }

    /// <summary>The repository root, found from the test binaries.</summary>
    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "deploy", "slurm", "compare.sbatch"))) return d.FullName;
        throw new InvalidOperationException("deploy/slurm/compare.sbatch not found above " + AppContext.BaseDirectory);
    }

    [SkippableFact]
    public void ASlurmArrayOfTwoTasksGivesTheSerialGridsReport()
    {
        Skip.IfNot(Environment.GetEnvironmentVariable("ACTIVATIONS_SLURM_TEST") == "1",
            "opt-in: needs a Slurm cluster (as root: deploy/slurm/local-cluster.sh start), then ACTIVATIONS_SLURM_TEST=1; .ci/run does both where it can");
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        string grid = dir.File("slurm");
        var clock = Stopwatch.StartNew();
        var psi = new ProcessStartInfo("sbatch") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir.Path };
        foreach (string a in new[] { "--wait", "--array=0-1", "--cpus-per-task=1", $"--output={dir.File("slurm-%A_%a.out")}", Path.Combine(RepoRoot(), "deploy", "slurm", "compare.sbatch") })
            psi.ArgumentList.Add(a);
        // The grid's options follow the script; compare.sbatch adds --out, --data, --device and --lease from these variables.
        foreach (string a in Grid(mirror, grid)[1..^6]) psi.ArgumentList.Add(a);
        psi.Environment["GRID_DIR"] = grid;
        psi.Environment["DATA_DIR"] = mirror;
        psi.Environment["ACTIVATIONS"] = $"dotnet {Path.Combine(AppContext.BaseDirectory, "activations.dll")}";
        psi.Environment["DEVICE"] = "cpu";
        using var sbatch = Process.Start(psi)!;
        var stdout = sbatch.StandardOutput.ReadToEndAsync();
        var stderr = sbatch.StandardError.ReadToEndAsync();
        Assert.True(sbatch.WaitForExit(Patience), "the Slurm array did not finish in time");
        foreach (string log in Directory.GetFiles(dir.Path, "slurm-*.out").Order()) output.WriteLine($"--- {Path.GetFileName(log)}\n{File.ReadAllText(log)}");
        Assert.True(sbatch.ExitCode == 0, $"sbatch --wait exited {sbatch.ExitCode}: {stdout.Result}{stderr.Result}");
        var logs = Directory.GetFiles(dir.Path, "slurm-*.out").Select(File.ReadAllText).ToArray();
        Assert.Equal(2, logs.Length);
        Assert.Contains(logs, l => l.Contains("shard 0/2 (from SLURM_ARRAY_TASK_ID=0, SLURM_ARRAY_TASK_COUNT=2)"));
        Assert.Contains(logs, l => l.Contains("shard 1/2 (from SLURM_ARRAY_TASK_ID=1, SLURM_ARRAY_TASK_COUNT=2)"));
        output.WriteLine($"Slurm array of 2 tasks: {clock.Elapsed.TotalSeconds:0.0} s from sbatch to both tasks done");

        var merged = AppCli.Run("compare", "--report-only", "--out", grid);
        Assert.True(merged.Code == 0, merged.Err);
        Assert.Equal(Serial(mirror, dir), SummaryWithoutTiming(grid));
        output.WriteLine($"whole test: {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
