// Runs a grid into a folder, resumably:
//
//   GRID/grid.json          the spec, the run ids, and every command line that ran it
//   GRID/<run id>/run.json  the RunConfig; then whatever the train function writes; then done.json
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

/// <summary>What one invocation did.</summary>
public sealed record GridRunOutcome(
    IReadOnlyList<string> Trained, IReadOnlyList<string> Skipped, IReadOnlyList<string> Failed,
    IReadOnlyList<string> NotRun, bool Cancelled)
{
    public bool Complete => !Cancelled && Failed.Count == 0 && NotRun.Count == 0;
}

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

    public string RunFolderOf(string runId) => Path.Combine(GridFolder, runId);

    /// <summary>The manifest of <paramref name="gridFolder"/>.</summary>
    public static GridManifest ReadManifest(string gridFolder) =>
        RunJson.Read<GridManifest>(Path.Combine(gridFolder, ManifestFile));

    /// <summary>Trains every run that is not finished yet, in grid order.</summary>
    public GridRunOutcome Run(string commandLine, CancellationToken cancellation = default)
    {
        var runs = Spec.Expand();
        WriteManifest(runs, commandLine);
        List<string> trained = [], skipped = [], failed = [], notRun = [];
        bool cancelled = false;
        for (int i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            string folder = RunFolderOf(run.Id);
            string tag = $"[{i + 1}/{runs.Count}] {run.Id}";
            if (RunFolder.IsDone(folder))
            {
                skipped.Add(run.Id);
                Log?.Invoke($"{tag}: done, skipped");
                continue;
            }
            if (cancelled || cancellation.IsCancellationRequested || (StopOnFailure && failed.Count > 0))
            {
                cancelled |= cancellation.IsCancellationRequested;
                notRun.Add(run.Id);
                continue;
            }
            bool existed = Directory.Exists(folder);
            if (existed && CleanUnfinished) Directory.Delete(folder, recursive: true);
            Directory.CreateDirectory(folder);
            Log?.Invoke($"{tag}: {(existed ? CleanUnfinished ? "unfinished, starting afresh" : "unfinished, training again in its folder" : "training")}");
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
                    new FailedRecord(run.Id, DateTime.UtcNow, $"{e.GetType().Name}: {e.Message}", e.ToString()));
                Log?.Invoke($"{tag}: FAILED: {e.Message}");
            }
        }
        return new GridRunOutcome(trained, skipped, failed, notRun, cancelled);
    }

    private void WriteManifest(IReadOnlyList<RunConfig> runs, string commandLine)
    {
        Directory.CreateDirectory(GridFolder);
        string path = Path.Combine(GridFolder, ManifestFile);
        var now = new GridInvocation(DateTime.UtcNow, commandLine);
        GridManifest manifest;
        if (File.Exists(path))
        {
            var old = RunJson.Read<GridManifest>(path);
            if (old.Spec.CanonicalJson() != Spec.CanonicalJson())
                throw new InvalidOperationException(
                    $"{GridFolder} already holds a different grid (see {ManifestFile}); use a new folder for a new grid, or repeat the original command to resume it:\n  {old.CommandLine}");
            manifest = old with { Invocations = [.. old.Invocations, now] };
        }
        else
        {
            manifest = new GridManifest
            {
                Spec = Spec,
                CommandLine = commandLine,
                CreatedUtc = now.StartedUtc,
                RunIds = runs.Select(r => r.Id).ToArray(),
                Invocations = [now],
            };
        }
        RunJson.WriteAtomic(path, manifest);
    }
}
