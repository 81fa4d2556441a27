// Runs a grid into a folder, resumably, alone or as one of several workers:
//
//   GRID/grid.json          the spec, the run ids and the first command line; written once, never rewritten
//   GRID/invocations.log    one appended line per later invocation (time, host, pid, command line)
//   GRID/<run id>/claim.json  the lock of the worker training the run (RunClaim), removed when it ends
//   GRID/<run id>/run.json  the RunConfig; then whatever the train function writes; then done.json
//
// A worker trains a run only while it holds the run's claim, so workers sharing the folder (shards
// of a Slurm array or an Indexed Job, or several `--claim` processes) never train one run twice. A
// shard I/N takes the runs whose index in the expansion is I mod N; the expansion does not depend
// on N. A worker in claim mode also waits for runs that others hold, and takes over any whose claim
// goes stale (a dead worker), resuming it from its checkpoint.
//
// A run whose folder has done.json is finished and skipped. Any other run (never started,
// interrupted, or failed) is trained again in its folder: the folder is left as it was, so a
// train function that checkpoints can resume, unless CleanUnfinished asks for a fresh start.
// done.json is written atomically after the train function returns, so a run killed at any point
// before that is simply not done. A grid folder belongs to one grid: running a different spec into
// it is refused rather than mixing two studies in one report.
//
// Every activation gets the same seeds; the same data order and initial weights for the same seed
// is the train function's job (seed its shuffling and its initialisers from RunConfig.Seed only).
using System.Diagnostics;
using Activations.Training.Run;

namespace Activations.Training.Study;

/// <summary>One invocation of a grid: when, and the exact command line.</summary>
public sealed record GridInvocation(DateTime StartedUtc, string CommandLine);

/// <summary>The content of grid.json.</summary>
public sealed record GridManifest
{
    public int FormatVersion { get; init; } = 1;
    public required GridSpec Spec { get; init; }

    /// <summary>The command line that created the grid: how to reproduce it.</summary>
    public required string CommandLine { get; init; }
    public DateTime CreatedUtc { get; init; }
    public required IReadOnlyList<string> RunIds { get; init; }

    /// <summary>Every invocation, the first included (later ones resumed it).</summary>
    public List<GridInvocation> Invocations { get; init; } = [];
}

/// <summary>What one invocation did. Elsewhere: runs of this worker's share that another worker finished.</summary>
public sealed record GridRunOutcome(
    IReadOnlyList<string> Trained, IReadOnlyList<string> Skipped, IReadOnlyList<string> Failed,
    IReadOnlyList<string> NotRun, bool Cancelled)
{
    public IReadOnlyList<string> Elsewhere { get; init; } = [];
    public bool Complete => !Cancelled && Failed.Count == 0 && NotRun.Count == 0;
}

/// <summary>Shard <see cref="Index"/> of <see cref="Count"/>: the runs whose grid index is Index mod Count.</summary>
public sealed record GridShard(int Index, int Count)
{
    public bool Contains(int runIndex) => runIndex % Count == Index;

    public override string ToString() => $"{Index}/{Count}";

    /// <summary>"I/N" with 0 ≤ I &lt; N; throws ArgumentException otherwise.</summary>
    public static GridShard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i)
            || !int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) || n < 1 || i >= n)
            throw new ArgumentException($"'{text}' is not a shard I/N with 0 ≤ I < N (e.g. 0/4)");
        return new GridShard(i, n);
    }

    /// <summary>
    /// The shard from --shard, else from Slurm's array variables, else from Kubernetes'
    /// JOB_COMPLETION_INDEX with --shards; null when none applies. <paramref name="source"/> says
    /// which was used. Throws ArgumentException on inconsistent input.
    /// </summary>
    public static GridShard? Resolve(string? shard, int? shards, Func<string, string?> env, out string source)
    {
        if (shard is not null)
        {
            var s = Parse(shard);
            if (shards is int given && given != s.Count) throw new ArgumentException($"--shard {shard} and --shards {given} disagree");
            source = $"--shard {s}";
            return s;
        }
        if (shards is int k && k < 1) throw new ArgumentException($"--shards must be at least 1; got {k}");
        string? id = env("SLURM_ARRAY_TASK_ID"), count = env("SLURM_ARRAY_TASK_COUNT");
        if (!string.IsNullOrEmpty(id) && !string.IsNullOrEmpty(count))
        {
            string? min = env("SLURM_ARRAY_TASK_MIN"), step = env("SLURM_ARRAY_TASK_STEP");
            int task = Int(id, "SLURM_ARRAY_TASK_ID"), n = Int(count, "SLURM_ARRAY_TASK_COUNT");
            int lo = string.IsNullOrEmpty(min) ? 0 : Int(min, "SLURM_ARRAY_TASK_MIN"), by = string.IsNullOrEmpty(step) ? 1 : Int(step, "SLURM_ARRAY_TASK_STEP");
            int index = by > 0 ? (task - lo) / by : -1;
            if (n < 1 || index < 0 || index >= n)
                throw new ArgumentException($"SLURM_ARRAY_TASK_ID={id} (min {lo}, step {by}) is not one of {n} array tasks; submit a contiguous array such as --array=0-{Math.Max(n - 1, 0)}");
            if (shards is int given && given != n) throw new ArgumentException($"--shards {given} but the Slurm array has {n} tasks (SLURM_ARRAY_TASK_COUNT={n})");
            source = $"SLURM_ARRAY_TASK_ID={id}, SLURM_ARRAY_TASK_COUNT={count}" + (lo != 0 ? $", SLURM_ARRAY_TASK_MIN={min}" : "") + (by != 1 ? $", SLURM_ARRAY_TASK_STEP={step}" : "");
            return new GridShard(index, n);
        }
        if (env("JOB_COMPLETION_INDEX") is { Length: > 0 } completion)
        {
            if (shards is not int total) throw new ArgumentException($"JOB_COMPLETION_INDEX={completion} is set, but not --shards: give --shards N, N being the Job's completions");
            int index = Int(completion, "JOB_COMPLETION_INDEX");
            if (index >= total) throw new ArgumentException($"JOB_COMPLETION_INDEX={completion} is not below --shards {total}: make --shards equal to the Job's completions");
            source = $"JOB_COMPLETION_INDEX={completion}, --shards {total}";
            return new GridShard(index, total);
        }
        if (shards is int only)
            throw new ArgumentException($"--shards {only} needs a shard index: --shard I/{only}, or JOB_COMPLETION_INDEX from a Kubernetes Indexed Job");
        source = "";
        return null;
    }

    private static int Int(string text, string name) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int v)
            ? v : throw new ArgumentException($"{name}='{text}' is not a non-negative integer");
}

/// <summary>A grid folder that holds another grid than the one given.</summary>
public sealed class GridMismatchException(string message) : InvalidOperationException(message);

/// <summary>Where one run of a grid stands, for `compare --status`.</summary>
public enum GridRunState { Done, Running, Stale, Missing }

public sealed record GridRunStatus(string Id, GridRunState State, ClaimStatus? Claim, string? Failure);

public sealed class GridRunner(GridSpec spec, string gridFolder, TrainFunction train)
{
    public const string ManifestFile = "grid.json";

    public GridSpec Spec { get; } = spec;
    public string GridFolder { get; } = Path.GetFullPath(gridFolder);

    /// <summary>Delete what an unfinished run left in its folder before training it again (default: keep it, so a checkpoint can be resumed).</summary>
    public bool CleanUnfinished { get; init; }

    /// <summary>Stop at the first failed run instead of going on with the others.</summary>
    public bool StopOnFailure { get; init; }

    /// <summary>Progress lines ("[3/40] talu-a1-fixed-default-s1: training"); null for silence.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Only the runs of this shard; null for all.</summary>
    public GridShard? Shard { get; init; }

    /// <summary>Wait for runs that other workers hold, taking over those whose claim goes stale. Turned on by itself when another worker is found.</summary>
    public bool Claim { get; init; }

    /// <summary>How old a claim's heartbeat may get before its run is taken over.</summary>
    public TimeSpan Lease { get; init; } = RunClaim.DefaultLease;

    /// <summary>How often a worker in claim mode looks again at runs others hold; default half the lease, at most 30 s.</summary>
    public TimeSpan? PollInterval { get; init; }

    public string RunFolderOf(string runId) => Path.Combine(GridFolder, runId);

    public const string InvocationsFile = "invocations.log";

    /// <summary>
    /// The manifest of <paramref name="gridFolder"/>, with the later invocations of invocations.log;
    /// one that cannot be read is a DataFormatException naming the file.
    /// </summary>
    public static GridManifest ReadManifest(string gridFolder)
    {
        string path = Path.Combine(gridFolder, ManifestFile);
        GridManifest manifest;
        try { manifest = RunJson.Read<GridManifest>(path); }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException or NotSupportedException)
        {
            throw new Data.DataFormatException($"{path}: not a grid manifest this version reads ({e.Message.ReplaceLineEndings(" ")}); "
                + "grids written before the snake_case file names (camelCase keys such as \"commandLine\") cannot be resumed or redrawn");
        }
        string log = Path.Combine(gridFolder, InvocationsFile);
        if (!File.Exists(log)) return manifest;
        var later = new List<GridInvocation>();
        foreach (string line in AtomicFile.ReadAllLines(log))
        {
            // "<UTC time, round-trip format> <host> <pid> <command line>"
            var parts = line.Split(' ', 4);
            if (parts.Length == 4 && DateTime.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var t))
                later.Add(new GridInvocation(t, parts[3]));
        }
        return manifest with { Invocations = [.. manifest.Invocations, .. later] };
    }

    /// <summary>Trains every run of this worker's share that is not finished yet, in grid order.</summary>
    public GridRunOutcome Run(string commandLine, CancellationToken cancellation = default)
    {
        var runs = Spec.Expand();
        WriteManifest(runs, commandLine);
        List<string> trained = [], skipped = [], failed = [], notRun = [], elsewhere = [];
        bool cancelled = false, claimMode = Claim;
        var pending = Enumerable.Range(0, runs.Count).Where(i => Shard?.Contains(i) ?? true).ToList();
        for (bool firstPass = true; ; firstPass = false)
        {
            var busy = new List<int>();
            foreach (int i in pending)
            {
                var run = runs[i];
                string folder = RunFolderOf(run.Id);
                string tag = $"[{i + 1}/{runs.Count}] {run.Id}";
                if (RunFolder.IsDone(folder))
                {
                    (firstPass ? skipped : elsewhere).Add(run.Id);
                    Log?.Invoke(firstPass ? $"{tag}: done, skipped" : $"{tag}: finished by another worker");
                    continue;
                }
                if (cancelled || cancellation.IsCancellationRequested || (StopOnFailure && failed.Count > 0))
                {
                    cancelled |= cancellation.IsCancellationRequested;
                    notRun.Add(run.Id);
                    continue;
                }
                bool existed = Directory.Exists(folder);
                using var claim = RunClaim.TryAcquire(folder, Lease, out var holder, line => Log?.Invoke($"{tag}: {line}"), commandLine);
                if (claim is null)
                {
                    busy.Add(i);
                    if (!claimMode)
                    {
                        claimMode = true;
                        Log?.Invoke($"another worker holds this grid: working beside it (as with --claim), lease {RunClaim.FormatAge(Lease)}");
                    }
                    Log?.Invoke($"{tag}: running elsewhere ({holder.Describe()})");
                    continue;
                }
                if (RunFolder.IsDone(folder)) // finished by another worker between the look and the claim
                {
                    (firstPass ? skipped : elsewhere).Add(run.Id);
                    Log?.Invoke($"{tag}: done, skipped");
                    continue;
                }
                if (existed && CleanUnfinished) ClearExceptClaim(folder);
                Log?.Invoke($"{tag}: {(existed ? CleanUnfinished ? "unfinished, starting afresh" : "unfinished, training again in its folder" : "training")}");
                TrainOne(run, folder, tag, cancellation, trained, failed, notRun, ref cancelled);
                if (claim.Lost) Log?.Invoke($"{tag}: warning: this worker's claim was taken over while it trained (it stalled longer than the lease)");
            }
            if (busy.Count == 0 || !claimMode || cancelled || cancellation.IsCancellationRequested)
            {
                foreach (int i in busy) notRun.Add(runs[i].Id);
                break;
            }
            var wait = PollInterval ?? TimeSpan.FromTicks(Math.Min(Lease.Ticks / 2, TimeSpan.FromSeconds(30).Ticks));
            Log?.Invoke($"waiting for {busy.Count} run{(busy.Count == 1 ? "" : "s")} other workers hold; looking again in {RunClaim.FormatAge(wait)}");
            if (cancellation.WaitHandle.WaitOne(wait))
            {
                cancelled = true;
                foreach (int i in busy) notRun.Add(runs[i].Id);
                break;
            }
            pending = busy;
        }
        return new GridRunOutcome(trained, skipped, failed, notRun, cancelled) { Elsewhere = elsewhere };
    }

    private void TrainOne(RunConfig run, string folder, string tag, CancellationToken cancellation,
        List<string> trained, List<string> failed, List<string> notRun, ref bool cancelled)
    {
        RunJson.WriteAtomic(Path.Combine(folder, RunFolder.RunFile), run);
        var clock = Stopwatch.StartNew();
        try
        {
            var result = RunFolder.Normalize(train(run, folder, cancellation));
            RunFolder.WriteDone(folder, run, result, clock.Elapsed.TotalSeconds);
            File.Delete(Path.Combine(folder, RunFolder.FailedFile));
            trained.Add(run.Id);
            Log?.Invoke($"{tag}: test accuracy {result.FinalTestAccuracy * 100:0.00}% after {result.Epochs.Count} epochs ({clock.Elapsed.TotalSeconds:0.0} s)");
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            cancelled = true;
            notRun.Add(run.Id);
            Log?.Invoke($"{tag}: cancelled; run the same command again to resume");
        }
        catch (Exception e)
        {
            failed.Add(run.Id);
            RunJson.WriteAtomic(Path.Combine(folder, RunFolder.FailedFile),
                new FailedRecord(run.Id, DateTime.UtcNow, e.Message.ReplaceLineEndings(" "), e.ToString()));
            Log?.Invoke($"{tag}: FAILED: {e.Message}");
        }
    }

    /// <summary>Empties an unfinished run's folder for a fresh start, keeping this worker's claim.</summary>
    private static void ClearExceptClaim(string folder)
    {
        foreach (string f in Directory.GetFiles(folder))
            if (Path.GetFileName(f) != RunClaim.FileName) File.Delete(f);
        foreach (string d in Directory.GetDirectories(folder)) Directory.Delete(d, recursive: true);
    }

    /// <summary>Every run of the grid in <paramref name="gridFolder"/>: done, running (a live claim), stale (a dead claim) or missing.</summary>
    public static IReadOnlyList<GridRunStatus> Status(string gridFolder, TimeSpan lease)
    {
        var manifest = ReadManifest(gridFolder);
        var list = new List<GridRunStatus>();
        foreach (string id in manifest.RunIds)
        {
            string folder = Path.Combine(gridFolder, id);
            if (RunFolder.IsDone(folder))
            {
                list.Add(new GridRunStatus(id, GridRunState.Done, null, null));
                continue;
            }
            var claim = RunClaim.Inspect(folder, lease);
            string failedPath = Path.Combine(folder, RunFolder.FailedFile);
            string? failure = null;
            if (File.Exists(failedPath))
            {
                try { failure = RunJson.Read<FailedRecord>(failedPath).Error; }
                catch (System.Text.Json.JsonException) { failure = $"{failedPath} is unreadable"; }
            }
            list.Add(new GridRunStatus(id, claim.State switch
            {
                ClaimState.Held => GridRunState.Running,
                ClaimState.Stale => GridRunState.Stale,
                _ => GridRunState.Missing,
            }, claim.State == ClaimState.None ? null : claim, failure));
        }
        return list;
    }

    /// <summary>Throws GridMismatchException when <paramref name="gridFolder"/> already holds a grid other than <paramref name="spec"/>.</summary>
    public static void CheckSpec(string gridFolder, GridSpec spec)
    {
        string path = Path.Combine(gridFolder, ManifestFile);
        if (!File.Exists(path)) return;
        var old = ReadManifest(gridFolder);
        if (old.Spec.FirstDifference(spec) is { } difference)
            throw new GridMismatchException(
                $"{gridFolder} already holds a different grid ({difference}; see {ManifestFile}); use a new folder for a new grid, or repeat the original command to resume it: {old.CommandLine}");
    }

    /// <summary>
    /// Creates grid.json once (AtomicFile.CreateNew, so concurrent workers agree on one), or checks
    /// that the stored spec is this one; then logs this invocation.
    /// </summary>
    private void WriteManifest(IReadOnlyList<RunConfig> runs, string commandLine)
    {
        Directory.CreateDirectory(GridFolder);
        string path = Path.Combine(GridFolder, ManifestFile);
        var now = new GridInvocation(DateTime.UtcNow, commandLine);
        if (!File.Exists(path))
        {
            var manifest = new GridManifest
            {
                Spec = Spec,
                CommandLine = commandLine,
                CreatedUtc = now.StartedUtc,
                RunIds = runs.Select(r => r.Id).ToArray(),
                Invocations = [],
            };
            // Every invocation, the first included, goes to the log below, so grid.json is never rewritten.
            AtomicFile.CreateNew(path, System.Text.Json.JsonSerializer.Serialize(manifest, RunJson.Options));
        }
        CheckSpec(GridFolder, Spec);
        string line = $"{now.StartedUtc:O} {Environment.MachineName} {Environment.ProcessId} {commandLine.ReplaceLineEndings(" ")}\n";
        AtomicFile.AppendLocked(Path.Combine(GridFolder, InvocationsFile), line);
    }
}
