// Per-class test accuracy and the confusion matrix of one configuration, averaged over its seeds,
// from each run's confusion.json (ConfusionFile: counts[true][predicted] at the last epoch and, with
// --val, at the best-validation epoch). Each run's matrix is row-normalised before the mean, so every
// seed weighs the same; a class's accuracy is the diagonal of that mean. Runs from before
// confusion.json existed are simply not counted; a file that is there but malformed is an error.
using Activations.Training.Data;
using Activations.Training.Run;

namespace Activations.Training.Study;

/// <summary>Row-normalised confusion matrices (rows: true class, columns: predicted) averaged over runs.</summary>
/// <param name="Runs">How many runs the mean is over.</param>
/// <param name="Matrix">Matrix[t][p]: the mean over runs of the fraction of class t's test images predicted as p; NaN rows for a class with no test images.</param>
public sealed record MeanConfusion(int Runs, double[][] Matrix)
{
    /// <summary>Per-class accuracy: the diagonal.</summary>
    public double[] Accuracy => Matrix.Select((row, i) => row[i]).ToArray();

    /// <summary>The mean of the per-class accuracies over the classes that have test images (balanced accuracy).</summary>
    public double MeanOverClasses => Accuracy.Where(a => !double.IsNaN(a)).DefaultIfEmpty(double.NaN).Average();

    /// <summary>The mean of the row-normalised matrices; every matrix must be C×C.</summary>
    public static MeanConfusion Of(IReadOnlyList<int[][]> counts)
    {
        int c = counts[0].Length;
        var mean = new double[c][];
        for (int t = 0; t < c; t++)
        {
            mean[t] = new double[c];
            for (int p = 0; p < c; p++)
                mean[t][p] = counts.Average(m => m[t].Sum() is var support and > 0 ? (double)m[t][p] / support : double.NaN);
        }
        return new MeanConfusion(counts.Count, mean);
    }
}

/// <summary>One configuration's per-class results: class names, the last epoch's mean confusion, and the best-validation epoch's when runs held out a validation set.</summary>
public sealed record PerClassSummary(IReadOnlyList<string> Classes, MeanConfusion Last, MeanConfusion? BestVal)
{
    /// <summary>
    /// The mean over the runs of <paramref name="runs"/> that wrote confusion.json; null when none did.
    /// A malformed file, or runs that disagree on the classes, is a DataFormatException naming the file.
    /// </summary>
    public static PerClassSummary? Of(IReadOnlyList<RunRecord> runs)
    {
        var files = runs.Select(r => (Run: r, File: Read(r))).Where(x => x.File is not null).ToArray();
        if (files.Length == 0) return null;
        var (first, firstFile) = (files[0].Run, files[0].File!);
        var classes = ClassesOf(firstFile);
        foreach (var (run, file) in files.Skip(1))
            if (!ClassesOf(file!).SequenceEqual(classes))
                throw new DataFormatException($"{PathOf(run)}: the classes ({string.Join(", ", ClassesOf(file!))}) differ from those of "
                    + $"{PathOf(first)} ({string.Join(", ", classes)}); runs of one configuration must share a test set");
        var best = files.Where(x => x.File!.BestVal is not null).Select(x => x.File!.BestVal!.Matrix).ToArray();
        return new PerClassSummary(classes, MeanConfusion.Of(files.Select(x => x.File!.Last.Matrix).ToArray()),
            best.Length == 0 ? null : MeanConfusion.Of(best));
    }

    private static string PathOf(RunRecord r) => Path.Combine(r.Folder, RunFolder.ConfusionFile);

    /// <summary>The file's class names, or "0", "1", … when it has none.</summary>
    private static IReadOnlyList<string> ClassesOf(ConfusionFile f) =>
        f.Classes ?? Enumerable.Range(0, f.Last.Matrix.Length).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>A run's confusion.json, checked; null when the run has none.</summary>
    private static ConfusionFile? Read(RunRecord r)
    {
        string path = PathOf(r);
        if (!File.Exists(path)) return null;
        string remedy = "delete it to report the run without per-class results";
        var file = StudyReport.ReadRunFile<ConfusionFile>(r.Folder, RunFolder.ConfusionFile, r.Config.Id, remedy);
        if (Problem(file) is { } problem)
            throw new DataFormatException($"{path}: the confusion.json of run '{r.Config.Id}' is malformed: {problem}; {remedy}");
        return file;
    }

    /// <summary>What is wrong with the file's shape, or null: a non-empty square count matrix per epoch, as many class names as rows.</summary>
    private static string? Problem(ConfusionFile f)
    {
        if (f.Last?.Matrix is null) return "no \"last\" matrix";
        int c = f.Last.Matrix.Length;
        if (c == 0) return "the \"last\" matrix is empty";
        foreach (var (name, m) in new[] { ("last", f.Last), ("best_val", f.BestVal) })
        {
            if (m is null) continue;
            if (m.Matrix is null) return $"\"{name}\" has no matrix";
            if (m.Matrix.Length != c || m.Matrix.Any(row => row is null || row.Length != c))
                return $"the \"{name}\" matrix is not {c}×{c}";
            if (m.Matrix.Any(row => row.Any(v => v < 0))) return $"the \"{name}\" matrix has a negative count";
            if (m.Epoch < 1) return $"\"{name}\" has epoch {m.Epoch}, not ≥ 1";
        }
        if (f.Classes is not null && f.Classes.Count != c) return $"{f.Classes.Count} class names for a {c}×{c} matrix";
        return null;
    }
}
