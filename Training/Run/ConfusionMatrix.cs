// confusion.json: {"classes": ["0".."9"] or null, "last": {"epoch", "matrix"}, "best_val": {"epoch", "matrix"} (only with --val)},
// where matrix[true class][predicted class] counts test images; per-class.md is the last epoch's per-class accuracy.
using System.Globalization;
using System.Text;

namespace Activations.Training.Run;

/// <summary>Test-set counts at one epoch: Matrix[true][predicted], C×C.</summary>
public sealed record ConfusionMatrix(int Epoch, int[][] Matrix)
{
    /// <summary>Counts each (label, prediction) pair.</summary>
    public static ConfusionMatrix Count(int epoch, int classes, ReadOnlySpan<byte> labels, ReadOnlySpan<int> predictions)
    {
        if (labels.Length != predictions.Length) throw new ArgumentException($"{labels.Length} labels but {predictions.Length} predictions");
        var m = new int[classes][];
        for (int i = 0; i < classes; i++) m[i] = new int[classes];
        for (int i = 0; i < labels.Length; i++) m[labels[i]][predictions[i]]++;
        return new ConfusionMatrix(epoch, m);
    }

    /// <summary>Test images of class <paramref name="c"/>.</summary>
    public int Support(int c) => Matrix[c].Sum();

    /// <summary>Fraction of class <paramref name="c"/> predicted as itself; NaN for a class with no test images.</summary>
    public double Accuracy(int c) => Support(c) == 0 ? double.NaN : (double)Matrix[c][c] / Support(c);

    /// <summary>A Markdown table: class, accuracy (percent), count.</summary>
    public string PerClassMarkdown(IReadOnlyList<string>? classNames, string title)
    {
        var md = new StringBuilder($"# {title}\n\n| class | accuracy (%) | count |\n|---|---:|---:|\n");
        for (int c = 0; c < Matrix.Length; c++)
        {
            string name = classNames is not null && c < classNames.Count ? classNames[c] : c.ToString(CultureInfo.InvariantCulture);
            double a = Accuracy(c);
            md.Append(CultureInfo.InvariantCulture, $"| {name} | {(double.IsNaN(a) ? "n/a" : (100 * a).ToString("0.00", CultureInfo.InvariantCulture))} | {Support(c)} |\n");
        }
        return md.ToString();
    }
}

/// <summary>The content of confusion.json.</summary>
public sealed record ConfusionFile(IReadOnlyList<string>? Classes, ConfusionMatrix Last, ConfusionMatrix? BestVal)
{
    public static ConfusionFile? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        try { return RunJson.Read<ConfusionFile>(path); }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException or IOException) { return null; }
    }
}
