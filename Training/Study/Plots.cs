// The study's figures, all PNG:
//   ActivationFunctions  f(x) and f'(x) over x ∈ [−5, 5], computed by the device kernels themselves
//                        (ActivationKernels<T>.Forward/Backward with dy = 1), not the C# references:
//                        the picture shows what training actually ran.
//   TrainingCurves       training loss and test accuracy per epoch, mean over seeds ± 1 sd band.
//   FinalAccuracy        final test accuracy per configuration: mean with its 95% t-interval,
//                        every run as a small grey dot.
//   ConfusionMatrices    per configuration, the last epoch's confusion matrix, row-normalised and
//                        averaged over seeds, as a heat map with the class names on its axes.
//   PredictionGrid       test images with a green (correct) or red (wrong) border and a caption
//                        "predicted/true" in a built-in 3×5 pixel digit font, drawn with ImageSharp
//                        2.1.13. Its text packages (SixLabors.Fonts / ImageSharp.Drawing) are not
//                        available here at a compatible version, so the class names go into a
//                        Markdown legend (and a CSV) next to the PNG.
// The charts use ScottPlot 5 (SkiaSharp). Its text needs a font; where the machine has DejaVu Sans
// it is used, so the labels do not depend on what fontconfig finds.
using Activations.Engine;
using Activations.Training.Run;
using Activations.Kernels.Activations;
using ScottPlot;
using Color = ScottPlot.Color;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Activations.Training.Study;

/// <summary>One activation to draw: which, and its first parameter (NaN = the catalog default; the others take theirs).</summary>
public sealed record ActivationCurve(ActivationInfo Kind, float Parameter = float.NaN)
{
    public float Resolved => float.IsNaN(Parameter) ? Kind.DefaultParameter : Parameter;

    public string Label => Kind.HasParameter
        ? $"{Kind.Name} ({Kind.Parameters[0].Symbol} = {Resolved.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)})"
        : Kind.Name;
}

/// <summary>What PredictionGrid wrote.</summary>
public sealed record PredictionGridResult(string PngPath, string LegendPath, string CsvPath, int Columns, int Rows, int Width, int Height, int Wrong);

public static class Plots
{

    static Plots()
    {
        // Prefer a font we know is there to whatever Skia's font manager finds (or does not).
        foreach (string f in new[] { "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans.ttf" })
        {
            if (!File.Exists(f)) continue;
            ScottPlot.Fonts.AddFontFile("DejaVu Sans", f);
            ScottPlot.Fonts.Default = "DejaVu Sans";
            break;
        }
    }

    private static readonly LinePattern[] Patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];

    private static Color ColorOf(int i) => new ScottPlot.Palettes.Category10().GetColor(i % 10);
    private static LinePattern PatternOf(int i) => Patterns[i / 10 % Patterns.Length];

    /// <summary>Every built-in activation (a file is drawn when named), those whose first parameter is an α at <paramref name="alpha"/>.</summary>
    public static IReadOnlyList<ActivationCurve> StudyCurves(float alpha = 1f) =>
        ActivationCatalog.BuiltIn.Select(a => new ActivationCurve(a, a.TakesAlpha ? alpha : float.NaN)).ToArray();

    /// <summary>
    /// f(x) and f'(x) of <paramref name="kind"/> at the points <paramref name="x"/>, computed on
    /// <paramref name="device"/> by the forward and backward kernels (backward with dy = 1).
    /// </summary>
    public static (float[] Y, float[] Slope) EvaluateKernels(Device device, ActivationInfo kind, float parameter, float[] x)
    {
        var probe = ActivationProbe.Run(device, kind, x, kind.WithFirst(parameter));
        return (probe.Y, probe.Dx);
    }

    /// <summary>
    /// Small multiples: one panel per activation over [xMin, xMax], each of its parameter values in
    /// its own colour (f solid, f′ dashed), with ReLU faint behind for reference; every value comes
    /// from the kernels on <paramref name="device"/>. Returns the data drawn (x, then per curve y and
    /// slope). Width and height default to 460 × 360 pixels per panel.
    /// </summary>
    public static (float[] X, IReadOnlyList<(float[] Y, float[] Slope)> Curves) ActivationFunctions(
        Device device, IReadOnlyList<ActivationCurve> curves, string pngPath,
        double xMin = -5, double xMax = 5, int points = 801, int? width = null, int? height = null)
    {
        if (curves.Count == 0) throw new ArgumentException("no activation to plot", nameof(curves));
        if (points < 2 || !(xMax > xMin)) throw new ArgumentException($"need points ≥ 2 and xMax > xMin; got {points}, [{xMin}, {xMax}]");
        var x = Enumerable.Range(0, points).Select(i => (float)(xMin + (xMax - xMin) * i / (points - 1))).ToArray();
        var xs = x.Select(v => (double)v).ToArray();
        var data = curves.Select(c =>
        {
            c.Kind.Validate(c.Resolved);
            return EvaluateKernels(device, c.Kind, c.Resolved, x);
        }).ToArray();
        var relu = EvaluateKernels(device, ActivationCatalog.Parse("relu"), float.NaN, x);

        var panels = curves.Select((c, i) => (c, i)).GroupBy(t => t.c.Kind.Name).ToList();
        int columns = (int)Math.Ceiling(Math.Sqrt(panels.Count)), rows = (panels.Count + columns - 1) / columns;
        var multi = new Multiplot();
        multi.AddPlots(panels.Count);
        multi.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        var faint = Colors.Gray.WithAlpha(0.45);
        for (int k = 0; k < panels.Count; k++)
        {
            var plot = multi.GetPlot(k);
            foreach (var (ys, pattern) in new[] { (relu.Y, LinePattern.Solid), (relu.Slope, LinePattern.Dashed) })
            {
                var line = plot.Add.ScatterLine(xs, ys.Select(v => (double)v).ToArray(), faint);
                line.LineWidth = 3;
                line.LinePattern = pattern;
            }
            var members = panels[k].ToList();
            for (int m = 0; m < members.Count; m++)
            {
                var (curve, i) = members[m];
                foreach (var (ys, pattern, label) in new[] { (data[i].Y, LinePattern.Solid, curve.Label), (data[i].Slope, LinePattern.Dashed, "") })
                {
                    var line = plot.Add.ScatterLine(xs, ys.Select(v => (double)v).ToArray(), ColorOf(m));
                    line.LineWidth = 2;
                    line.LinePattern = pattern;
                    line.LegendText = label;
                }
            }
            plot.Title($"{panels[k].Key}: f solid, f′ dashed (ReLU grey)");
            plot.XLabel("x");
            var zero = plot.Add.HorizontalLine(0, 1, Colors.Gray);
            zero.LinePattern = LinePattern.Dotted;
            var axis = plot.Add.VerticalLine(0, 1, Colors.Gray);
            axis.LinePattern = LinePattern.Dotted;
            var ids = members.Select(t => t.i).ToArray();
            // Capped so that the region near 0, where activations differ, fills the panel.
            double low = Math.Max(-2, ids.Min(i => Math.Min(data[i].Y.Min(), data[i].Slope.Min()))) - 0.2;
            double high = Math.Min(3, Math.Max(1.2, ids.Max(i => Math.Max(data[i].Y.Max(), data[i].Slope.Max())))) + 0.2;
            plot.Axes.SetLimits(xMin, xMax, low, high);
            plot.ShowLegend(Alignment.UpperLeft);
        }
        Save(multi, pngPath, width ?? 460 * columns, height ?? 360 * rows, $"kernels on {device.Key}");
        return (x, data);
    }

    /// <summary>Mean and sample sd over runs at each epoch index (runs shorter than an epoch are left out there).</summary>
    public static (double[] Epoch, double[] Mean, double[] Sd) MeanCurve(IReadOnlyList<RunRecord> runs, Func<EpochMetrics, double> value)
    {
        int epochs = runs.Max(r => r.Result.Epochs.Count);
        var e = new double[epochs];
        var m = new double[epochs];
        var s = new double[epochs];
        for (int i = 0; i < epochs; i++)
        {
            var v = runs.Where(r => r.Result.Epochs.Count > i).Select(r => value(r.Result.Epochs[i])).Where(double.IsFinite).ToArray();
            var first = runs.First(r => r.Result.Epochs.Count > i).Result.Epochs[i];
            e[i] = first.Epoch;
            m[i] = Statistics.Mean(v);
            s[i] = v.Length < 2 ? 0 : Statistics.StandardDeviation(v);
        }
        return (e, m, s);
    }

    /// <summary>Training loss (left) and test accuracy in % (right) per epoch: a mean line per configuration and a ±1 sd band over seeds.</summary>
    public static void TrainingCurves(IReadOnlyList<RunGroup> groups, string pngPath, int width = 1600, int height = 650)
    {
        if (groups.Count == 0) throw new ArgumentException("no finished runs to plot", nameof(groups));
        var multi = new Multiplot();
        multi.AddPlots(2);
        multi.Layout = new ScottPlot.MultiplotLayouts.Columns();
        var (loss, acc) = (multi.GetPlot(0), multi.GetPlot(1));
        for (int i = 0; i < groups.Count; i++)
        {
            var g = groups[i];
            var color = ColorOf(i);
            foreach (var (plot, value) in new (Plot, Func<EpochMetrics, double>)[] { (loss, e => e.TrainLoss), (acc, e => e.TestAccuracy * 100) })
            {
                var (x, mean, sd) = MeanCurve(g.Runs, value);
                if (g.Runs.Count > 1)
                {
                    var band = plot.Add.FillY(x, mean.Zip(sd, (a, b) => a - b).ToArray(), mean.Zip(sd, (a, b) => a + b).ToArray());
                    band.FillStyle.Color = color.WithAlpha(0.18);
                    band.LineStyle.Width = 0;
                }
                var line = plot.Add.Scatter(x, mean, color);
                line.LineWidth = 2;
                line.MarkerSize = 4;
                line.LinePattern = PatternOf(i);
                line.LegendText = $"{g.Name} (n={g.Runs.Count})";
            }
        }
        loss.Title("Training loss (mean ± 1 sd over seeds)");
        loss.XLabel("epoch");
        loss.YLabel("loss");
        acc.Title("Test accuracy (mean ± 1 sd over seeds)");
        acc.XLabel("epoch");
        acc.YLabel("accuracy (%)");
        foreach (var p in new[] { loss, acc })
            p.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        loss.HideLegend();
        acc.ShowLegend(Edge.Right);
        Save(multi, pngPath, width, height, "training curves");
    }

    public static void TrainingCurves(StudyReport report, string pngPath, int width = 1600, int height = 650) =>
        TrainingCurves(report.Groups, pngPath, width, height);

    /// <summary>Final test accuracy (%) per configuration: mean with its t confidence interval, and each run as a grey dot.</summary>
    public static void FinalAccuracy(StudyReport report, string pngPath, int width = 1200, int height = 700)
    {
        var cs = report.Configurations;
        if (cs.Count == 0) throw new ArgumentException("no finished runs to plot", nameof(report));
        var plot = new Plot();
        var xs = Enumerable.Range(0, cs.Count).Select(i => (double)i).ToArray();
        for (int i = 0; i < cs.Count; i++)
        {
            var accs = report.Groups[i].FinalAccuracies;
            var dots = plot.Add.Markers(accs.Select((_, k) => i + 0.15 * ((k + 0.5) / accs.Length - 0.5)).ToArray(),
                accs.Select(a => a * 100).ToArray(), MarkerShape.FilledCircle, 4, Colors.Gray.WithAlpha(0.7));
            dots.LegendText = i == 0 ? "one run" : "";
        }
        var means = cs.Select(c => c.FinalAccuracy.Mean * 100).ToArray();
        var half = cs.Select(c => double.IsNaN(c.FinalAccuracy.CiHalfWidth) ? 0 : c.FinalAccuracy.CiHalfWidth * 100).ToArray();
        var bars = plot.Add.ErrorBar(xs, means, half);
        bars.Color = Colors.Black;
        bars.LineWidth = 2;
        var mean = plot.Add.Markers(xs, means, MarkerShape.FilledSquare, 9, ColorOf(0));
        mean.LegendText = $"mean, {report.Level * 100:0.##}% CI";
        plot.Axes.Bottom.SetTicks(xs, cs.Select(c => c.Name).ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = 8 * cs.Max(c => c.Name.Length) * 0.75f + 20;
        plot.Axes.SetLimitsX(-0.7, cs.Count - 0.3);
        plot.Title("Final test accuracy per configuration");
        plot.YLabel("test accuracy (%)");
        plot.ShowLegend(Alignment.LowerLeft);
        Save(plot, pngPath, width, height, "final accuracy");
    }

    /// <summary>
    /// One heat map per configuration with per-class results: its last-epoch confusion matrix,
    /// row-normalised and averaged over seeds (rows: true class, columns: predicted), each cell
    /// labelled in percent, the class names on the axes. Returns the configurations and matrices
    /// drawn, in panel order; draws nothing and returns none when no run wrote a confusion.json.
    /// </summary>
    public static IReadOnlyList<(string Name, double[][] Matrix)> ConfusionMatrices(StudyReport report, string pngPath, int panelWidth = 560, int panelHeight = 520)
    {
        var drawn = report.Configurations.Where(c => c.PerClass is not null)
            .Select(c => (Name: c.Name, Context: c.Context, c.PerClass!.Classes, c.PerClass.Last)).ToArray();
        if (drawn.Length == 0) return [];
        bool manyContexts = drawn.Select(d => d.Context).Distinct().Count() > 1;
        int columns = (int)Math.Ceiling(Math.Sqrt(drawn.Length)), rows = (drawn.Length + columns - 1) / columns;
        var multi = new Multiplot();
        multi.AddPlots(drawn.Length);
        multi.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        for (int k = 0; k < drawn.Length; k++)
        {
            var (name, context, classes, mean) = drawn[k];
            int n = classes.Count;
            var plot = multi.GetPlot(k);
            var cells = new double[n, n];
            for (int t = 0; t < n; t++)
                for (int p = 0; p < n; p++)
                    cells[t, p] = mean.Matrix[t][p];
            var map = plot.Add.Heatmap(cells); // row 0 (true class 0) at the top
            map.Colormap = new ScottPlot.Colormaps.Viridis();
            map.ManualRange = new ScottPlot.Range(0, 1);
            map.Rectangle = new CoordinateRect(0, n, 0, n);
            for (int t = 0; t < n; t++)
                for (int p = 0; p < n; p++)
                {
                    if (double.IsNaN(cells[t, p])) continue;
                    var label = plot.Add.Text((cells[t, p] * 100).ToString("0", System.Globalization.CultureInfo.InvariantCulture), p + 0.5, n - t - 0.5);
                    label.LabelFontSize = n > 12 ? 7 : 11;
                    label.LabelAlignment = Alignment.MiddleCenter;
                    label.LabelFontColor = cells[t, p] > 0.6 ? Colors.Black : Colors.White; // Viridis is dark below, light above
                }
            var centres = Enumerable.Range(0, n).Select(i => i + 0.5).ToArray();
            plot.Axes.Bottom.SetTicks(centres, classes.ToArray());
            plot.Axes.Left.SetTicks(centres.Reverse().ToArray(), classes.ToArray());
            if (classes.Any(c => c.Length > 2))
            {
                plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
                plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
                plot.Axes.Bottom.MinimumSize = 7 * classes.Max(c => c.Length) + 20;
            }
            plot.Axes.SetLimits(0, n, 0, n);
            plot.XLabel("predicted");
            plot.YLabel("true (each row sums to 100%)");
            plot.Title($"{name} (n={mean.Runs})" + (manyContexts ? "\n" + context : ""));
            plot.Axes.Title.Label.FontSize = 14;
        }
        Save(multi, pngPath, panelWidth * columns, panelHeight * rows, "confusion matrices");
        return drawn.Select(d => (d.Name, d.Last.Matrix)).ToArray();
    }

    private static void Save(Plot plot, string path, int width, int height, string what)
    {
        CreateFolderOf(path);
        plot.SavePng(path, width, height);
        Check(path, what);
    }

    private static void Save(Multiplot multi, string path, int width, int height, string what)
    {
        CreateFolderOf(path);
        multi.SavePng(path, width, height);
        Check(path, what);
    }

    private static void CreateFolderOf(string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
    }

    private static void Check(string path, string what)
    {
        if (!File.Exists(path) || new FileInfo(path).Length == 0)
            throw new IOException($"plot '{what}' was not written to {path}");
    }

    // ---- prediction grid ----

    // 3×5 glyphs, one row per 3 bits (most significant bit = leftmost pixel), top row first.
    private static readonly Dictionary<char, int[]> Glyphs = new()
    {
        ['0'] = [7, 5, 5, 5, 7], ['1'] = [2, 6, 2, 2, 7], ['2'] = [7, 1, 7, 4, 7], ['3'] = [7, 1, 7, 1, 7],
        ['4'] = [5, 5, 7, 1, 1], ['5'] = [7, 4, 7, 1, 7], ['6'] = [7, 4, 7, 5, 7], ['7'] = [7, 1, 1, 1, 1],
        ['8'] = [7, 5, 7, 5, 7], ['9'] = [7, 5, 7, 1, 7], ['/'] = [1, 1, 2, 4, 4],
    };

    /// <summary>
    /// A grid of the first <paramref name="count"/> images (bytes, N×C×H×W with C = 1 or 3, or
    /// N×H×W with <paramref name="channels"/> = 1), each upscaled by <paramref name="scale"/>,
    /// framed green where predicted = true and red where not, captioned "predicted/true" by class
    /// index. Writes the PNG, a Markdown legend (class names, every wrong prediction) and a CSV of
    /// all images next to it: same name, ".md" and ".csv".
    /// </summary>
    public static PredictionGridResult PredictionGrid(
        byte[] images, int count, int channels, int height, int width,
        IReadOnlyList<int> predicted, IReadOnlyList<int> labels, IReadOnlyList<string> classNames,
        string pngPath, int columns = 10, int scale = 3)
    {
        if (channels is not (1 or 3)) throw new ArgumentException($"images need 1 or 3 channels; got {channels}");
        if (count < 1 || images.Length < (long)count * channels * height * width)
            throw new ArgumentException($"{images.Length} bytes do not hold {count} images of {channels}×{height}×{width}");
        if (predicted.Count < count || labels.Count < count)
            throw new ArgumentException($"need {count} predictions and labels; got {predicted.Count} and {labels.Count}");
        if (columns < 1 || scale < 1) throw new ArgumentException("columns and scale must be ≥ 1");

        const int Border = 3, Gap = 2, FontScale = 2;
        int rows = (count + columns - 1) / columns;
        int captionHeight = 5 * FontScale + 4;
        int cellW = width * scale + 2 * Border, cellH = height * scale + 2 * Border + captionHeight;
        int imgW = columns * cellW + (columns + 1) * Gap, imgH = rows * cellH + (rows + 1) * Gap;
        var green = new Rgb24(0, 170, 0);
        var red = new Rgb24(220, 0, 0);
        var background = new Rgb24(255, 255, 255);
        int wrong = 0;
        using (var canvas = new Image<Rgb24>(imgW, imgH, background))
        {
            for (int n = 0; n < count; n++)
            {
                bool ok = predicted[n] == labels[n];
                if (!ok) wrong++;
                int x0 = Gap + n % columns * (cellW + Gap), y0 = Gap + n / columns * (cellH + Gap);
                var frame = ok ? green : red;
                for (int y = 0; y < height * scale + 2 * Border; y++)
                    for (int x = 0; x < cellW; x++)
                        canvas[x0 + x, y0 + y] = frame;
                int plane = height * width;
                for (int y = 0; y < height * scale; y++)
                    for (int x = 0; x < width * scale; x++)
                    {
                        int src = n * channels * plane + y / scale * width + x / scale;
                        var px = channels == 1
                            ? new Rgb24(images[src], images[src], images[src])
                            : new Rgb24(images[src], images[src + plane], images[src + 2 * plane]);
                        canvas[x0 + Border + x, y0 + Border + y] = px;
                    }
                string caption = ok ? $"{predicted[n]}" : $"{predicted[n]}/{labels[n]}";
                DrawText(canvas, caption, x0 + Border, y0 + height * scale + 2 * Border + 2, FontScale, ok ? new Rgb24(0, 110, 0) : red);
            }
            CreateFolderOf(pngPath);
            canvas.SaveAsPng(pngPath);
        }

        string stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(pngPath))!, Path.GetFileNameWithoutExtension(pngPath));
        string mdPath = stem + ".md", csvPath = stem + ".csv";
        string Name(int c) => c >= 0 && c < classNames.Count ? classNames[c] : $"class {c}";
        var md = new System.Text.StringBuilder();
        md.AppendLine($"# {Path.GetFileName(pngPath)}").AppendLine();
        md.AppendLine($"{count} test images, {columns} per row, read left to right. Green border: predicted correctly; red border: wrong. "
            + "The caption under each image is the predicted class index, or \"predicted/true\" when wrong.").AppendLine();
        md.AppendLine($"Wrong: {wrong} of {count} ({100.0 * wrong / count:0.#}%).").AppendLine();
        md.AppendLine("| Index | Class |").AppendLine("|---:|---|");
        for (int c = 0; c < classNames.Count; c++) md.AppendLine($"| {c} | {classNames[c]} |");
        md.AppendLine();
        if (wrong > 0)
        {
            md.AppendLine("| Image | Row | Column | Predicted | True |").AppendLine("|---:|---:|---:|---|---|");
            for (int n = 0; n < count; n++)
                if (predicted[n] != labels[n])
                    md.AppendLine($"| {n} | {n / columns + 1} | {n % columns + 1} | {Name(predicted[n])} | {Name(labels[n])} |");
        }
        AtomicFile.WriteText(mdPath, md.ToString(), flushToDisk: false);
        var csv = new System.Text.StringBuilder("image,row,column,predicted,predicted_name,true,true_name,correct\n");
        for (int n = 0; n < count; n++)
            csv.AppendLine($"{n},{n / columns + 1},{n % columns + 1},{predicted[n]},\"{Name(predicted[n])}\",{labels[n]},\"{Name(labels[n])}\",{(predicted[n] == labels[n] ? "true" : "false")}");
        AtomicFile.WriteText(csvPath, csv.ToString(), flushToDisk: false);
        return new PredictionGridResult(Path.GetFullPath(pngPath), mdPath, csvPath, columns, rows, imgW, imgH, wrong);
    }

    /// <summary>Draws digits and '/' with the built-in 3×5 font; other characters leave a gap.</summary>
    private static void DrawText(Image<Rgb24> canvas, string text, int x, int y, int s, Rgb24 color)
    {
        foreach (char ch in text)
        {
            if (Glyphs.TryGetValue(ch, out var rowsOfBits))
                for (int r = 0; r < 5; r++)
                    for (int c = 0; c < 3; c++)
                        if ((rowsOfBits[r] >> (2 - c) & 1) != 0)
                            for (int dy = 0; dy < s; dy++)
                                for (int dx = 0; dx < s; dx++)
                                {
                                    int px = x + c * s + dx, py = y + r * s + dy;
                                    if (px < canvas.Width && py < canvas.Height) canvas[px, py] = color;
                                }
            x += 4 * s;
        }
    }
}
