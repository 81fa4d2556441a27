// The plots produce valid PNGs of the requested size; the activation plot draws what the device
// kernels compute (checked against the double references); the prediction grid marks mistakes.
using Activations.Engine;
using Activations.Kernels.Activations;
using Activations.Tests.Infrastructure;
using Activations.Training.Run;
using Activations.Training.Study;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Activations.Tests.Study;

public sealed class PlotTests : WithTempDir
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Checks the PNG signature and reads width and height from the IHDR chunk.</summary>
    private static (int Width, int Height) AssertPng(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 33, $"{path} is too short for a PNG");
        Assert.Equal(PngSignature, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        int w = bytes[16] << 24 | bytes[17] << 16 | bytes[18] << 8 | bytes[19];
        int h = bytes[20] << 24 | bytes[21] << 16 | bytes[22] << 8 | bytes[23];
        using var image = Image.Load<Rgb24>(path); // and it decodes
        Assert.Equal((w, h), (image.Width, image.Height));
        return (w, h);
    }

    [SkippableFact]
    public void ActivationPlotDrawsTheKernelOutputs()
    {
        var device = TestDevices.Get("cpu");
        string path = Path.Combine(Dir.Path, "activations.png");
        var curves = Plots.StudyCurves(alpha: 0.5f);
        var (x, data) = Plots.ActivationFunctions(device, curves, path, points: 201, width: 900, height: 400);
        Assert.Equal((900, 400), AssertPng(path));
        Assert.Equal(201, x.Length);
        Assert.Equal(-5f, x[0]);
        Assert.Equal(5f, x[^1]);
        var talu = data[curves.ToList().FindIndex(c => c.Kind.Name == "talu")];
        for (int i = 0; i < x.Length; i++)
        {
            double t = Math.Tanh(x[i]);
            Assert.Equal(x[i] < 0 ? 0.5 * t : x[i], talu.Y[i], 5); // TaLU: α·tanh(x) below 0, slope α(1 − tanh²)
            Assert.Equal(x[i] < 0 ? 0.5 * (1 - t * t) : 1, talu.Slope[i], 5);
        }
        var relu = data[curves.ToList().FindIndex(c => c.Kind.Name == "relu")];
        Assert.Equal(0f, relu.Y[0]);
        Assert.Equal(1f, relu.Slope[^1]);
    }

    [SkippableFact]
    public void EvaluateKernelsMatchesReferencesForEveryActivation()
    {
        var device = TestDevices.Get("cpu");
        float[] x = [-5f, -1.5f, -0.25f, 0f, 0.25f, 2f, 5f];
        // Built-in only: files other tests register (one with a wrong backward on purpose) are `check`'s to judge.
        foreach (var kind in ActivationCatalog.BuiltIn)
        {
            float p = kind.DefaultParameter;
            var ps = kind.Defaults.Select(v => (double)v).ToArray();
            var (y, s) = Plots.EvaluateKernels(device, kind, p, x);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.True(Math.Abs(y[i] - kind.Reference(x[i], ps)) < 1e-5, $"{kind} f({x[i]})");
                Assert.True(Math.Abs(s[i] - kind.ReferenceDerivative(0, x[i], ps)) < 1e-5, $"{kind} f'({x[i]})");
            }
        }
    }

    private StudyReport SyntheticReport()
    {
        var spec = new GridSpec
        {
            Dataset = "mnist", Model = "mlp", Epochs = 5,
            Activations = ["relu", "talu", "exlu"], Alphas = [1], Seeds = [1, 2, 3],
        };
        string grid = Path.Combine(Dir.Path, "grid");
        new GridRunner(spec, grid, (c, _, _) => new RunResult
        {
            Epochs = Enumerable.Range(1, c.Epochs).Select(e => new EpochMetrics(e, 0.5 / e + 0.01 * c.Seed,
                0.6 / e, 0.97 + 0.002 * e + 0.001 * c.Seed + (c.Activation == "exlu" ? 0.003 : 0), 2, 1000, 0.01)).ToArray(),
        }).Run("test");
        return StudyReport.FromGrid(grid);
    }

    [Fact]
    public void CurvesAndAccuracyPlotsArePngs()
    {
        var report = SyntheticReport();
        string curves = Path.Combine(Dir.Path, "out", "curves.png");
        Plots.TrainingCurves(report, curves, width: 1000, height: 450);
        Assert.Equal((1000, 450), AssertPng(curves));
        string acc = Path.Combine(Dir.Path, "out", "accuracy.png");
        Plots.FinalAccuracy(report, acc, width: 800, height: 500);
        Assert.Equal((800, 500), AssertPng(acc));

        var (epoch, mean, sd) = Plots.MeanCurve(report.Groups[0].Runs, e => e.TrainLoss);
        Assert.Equal([1.0, 2, 3, 4, 5], epoch);
        Assert.Equal(0.5 + 0.02, mean[0], 12);
        Assert.Equal(0.01, sd[0], 12);
    }

    [Fact]
    public void PredictionGridMarksMistakes()
    {
        const int n = 12, h = 28, w = 28;
        var images = new byte[n * h * w];
        for (int i = 0; i < images.Length; i++) images[i] = (byte)(i * 7 % 256);
        int[] labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1];
        int[] predicted = [0, 1, 2, 3, 4, 5, 6, 1, 8, 9, 6, 1]; // images 7 and 10 are wrong
        string[] names = Enumerable.Range(0, 10).Select(i => $"digit {i}").ToArray();
        string path = Path.Combine(Dir.Path, "predictions.png");
        var r = Plots.PredictionGrid(images, n, 1, h, w, predicted, labels, names, path, columns: 5, scale: 2);
        Assert.Equal((r.Width, r.Height), AssertPng(path));
        Assert.Equal((5, 3, 2), (r.Columns, r.Rows, r.Wrong));

        using var img = Image.Load<Rgb24>(path);
        // The top-left border pixel of image 0 (correct) is green, of image 7 (row 2, column 3) red.
        const int gap = 2, border = 3;
        int cellW = w * 2 + 2 * border, cellH = h * 2 + 2 * border + 14;
        Assert.Equal(new Rgb24(0, 170, 0), img[gap, gap]);
        Assert.Equal(new Rgb24(220, 0, 0), img[gap + 2 * (cellW + gap), gap + 1 * (cellH + gap)]);
        // The pixels are the image, upscaled: image 0's pixel (0, 1) at 2× scale.
        Assert.Equal(images[1], img[gap + border + 2, gap + border].R);

        string md = File.ReadAllText(r.LegendPath);
        Assert.Contains("Wrong: 2 of 12", md);
        Assert.Contains("| 7 | 2 | 3 | digit 1 | digit 7 |", md);
        Assert.Contains("| 10 | 3 | 1 | digit 6 | digit 0 |", md);
        Assert.Equal(n + 1, File.ReadAllLines(r.CsvPath).Length);
    }

    [Fact]
    public void PredictionGridTakesColourImages()
    {
        const int n = 3, c = 3, h = 8, w = 8;
        var images = new byte[n * c * h * w];
        for (int i = 0; i < n; i++) images[(i * c + 2) * h * w] = 255; // channel 2 (blue) of pixel (0, 0)
        string path = Path.Combine(Dir.Path, "rgb.png");
        var r = Plots.PredictionGrid(images, n, c, h, w, [0, 1, 2], [0, 1, 2], ["a", "b", "c"], path, columns: 3, scale: 1);
        AssertPng(path);
        using var img = Image.Load<Rgb24>(path);
        Assert.Equal(new Rgb24(0, 0, 255), img[2 + 3, 2 + 3]);
        Assert.Equal(0, r.Wrong);
        Assert.Throws<ArgumentException>(() => Plots.PredictionGrid(images, n, 2, h, w, [0], [0], [], path));
    }
}
