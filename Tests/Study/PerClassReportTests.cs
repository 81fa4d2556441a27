// The per-class part of the report, from synthetic grids whose runs write confusion.json: each run's
// matrix row-normalised before the mean over seeds (worked by hand below), the class × configuration
// tables at the last and the best-validation epoch, confusion.png, runs without the file (older
// grids), and every kind of malformed file as one error naming it.
using System.Text.Json;
using Activations.Tests.Infrastructure;
using Activations.Training.Data;
using Activations.Training.Run;
using Activations.Training.Study;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Activations.Tests.Study;

public sealed class PerClassReportTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "activations-perclass-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static readonly string[] Classes = ["cat", "dog", "eel"];

    // ReLU, seed 1 and 2 (rows: true class; dog has 10 test images in seed 1 and 20 in seed 2, so the
    // row-normalised mean, (0.8 + 0.6)/2 = 0.70, differs from the pooled count, 20/30 = 0.67).
    private static readonly int[][][] ReluLast =
    [
        [[9, 1, 0], [2, 8, 0], [0, 0, 10]],
        [[10, 0, 0], [8, 12, 0], [0, 1, 9]],
    ];

    // TaLU, both seeds; with --val, so a best-validation matrix too.
    private static readonly int[][] TaluLast = [[5, 5, 0], [0, 10, 0], [0, 0, 10]];
    private static readonly int[][] TaluBest = [[10, 0, 0], [0, 10, 0], [1, 0, 9]];

    /// <summary>Two epochs; writes confusion.json unless <paramref name="skip"/> says to leave it out for the run.</summary>
    private static TrainFunction Train(Func<RunConfig, bool> skip) => (c, folder, _) =>
    {
        bool talu = c.Activation == "talu";
        if (!skip(c))
        {
            var last = new ConfusionMatrix(2, talu ? TaluLast : ReluLast[(int)c.Seed - 1]);
            RunJson.WriteAtomic(Path.Combine(folder, RunFolder.ConfusionFile), new ConfusionFile(Classes, last, talu ? new ConfusionMatrix(1, TaluBest) : null));
        }
        return new RunResult
        {
            Epochs = [new EpochMetrics(1, 0.5, 0.5, 0.8, 1, 100, 0.01), new EpochMetrics(2, 0.4, 0.4, 0.8 + c.Seed * 0.01, 1, 100, 0.01)],
        };
    };

    private StudyReport MakeGrid(Func<RunConfig, bool>? skip = null)
    {
        var spec = new GridSpec
        {
            Dataset = "mnist",
            Model = "mlp",
            Epochs = 2,
            Activations = ["relu", "talu"],
            Alphas = [1],
            Learnable = [false],
            Seeds = [1, 2],
        };
        new GridRunner(spec, _root, Train(skip ?? (_ => false))).Run("activations compare --activations relu,talu --seeds 1-2");
        return StudyReport.FromGrid(_root);
    }

    /// <summary>Makes the grid, then overwrites the confusion.json of run <paramref name="run"/> with <paramref name="write"/>; returns the file's path.</summary>
    private string MakeGridAndRewrite(string run, Action<string> write)
    {
        MakeGrid();
        string path = Path.Combine(_root, run, RunFolder.ConfusionFile);
        write(path);
        return path;
    }

    [Fact]
    public void RowNormalisedMatricesAreAveragedOverSeeds()
    {
        var report = MakeGrid();
        var relu = report.Configurations.Single(c => c.Activation == "relu").PerClass!;
        Assert.Equal(Classes, relu.Classes);
        Assert.Equal(2, relu.Last.Runs);
        // cat: (9/10 + 10/10)/2; dog: (8/10 + 12/20)/2; eel: (10/10 + 9/10)/2.
        Assert.Equal([0.95, 0.70, 0.95], relu.Last.Accuracy.Select(a => Math.Round(a, 12)));
        Assert.Equal(0.30, relu.Last.Matrix[1][0], 12); // dog as cat: (2/10 + 8/20)/2
        Assert.Equal(0.05, relu.Last.Matrix[2][1], 12); // eel as dog: (0 + 1/10)/2
        Assert.All(relu.Last.Matrix, row => Assert.Equal(1, row.Sum(), 12));
        Assert.Equal((0.95 + 0.70 + 0.95) / 3, relu.Last.MeanOverClasses, 12);
        Assert.Null(relu.BestVal);

        var talu = report.Configurations.Single(c => c.Activation == "talu").PerClass!;
        Assert.Equal([0.5, 1.0, 1.0], talu.Last.Accuracy);
        Assert.Equal([1.0, 1.0, 0.9], talu.BestVal!.Accuracy);
        Assert.Equal(2, talu.BestVal.Runs);
    }

    [Fact]
    public void MarkdownHasTheClassByConfigurationTablesAndJsonTheMatrices()
    {
        var report = MakeGrid();
        var paths = report.Write(Path.Combine(_root, "report"));
        string md = File.ReadAllText(paths[0]);
        Assert.Contains("### Per-class test accuracy (%), mean over seeds", md);
        Assert.Contains("| Class | relu-default (n=2) | talu-a1-fixed-default (n=2) |", md);
        Assert.Contains("| dog | 70.00 | 100.00 |", md);
        Assert.Contains("| mean over classes | 86.67 | 83.33 |", md);
        // Only TaLU held out a validation set: the best-validation table has its column alone.
        string best = md[md.IndexOf("At the best-validation epoch:", StringComparison.Ordinal)..];
        Assert.Contains("| Class | talu-a1-fixed-default (n=2) |", best);
        Assert.Contains("| eel | 90.00 |", best);
        Assert.DoesNotContain("Runs without confusion.json", md);

        using var json = JsonDocument.Parse(File.ReadAllText(paths[2]));
        var perClass = json.RootElement.GetProperty("configurations")[0].GetProperty("per_class");
        Assert.Equal("dog", perClass.GetProperty("classes")[1].GetString());
        Assert.Equal(0.70, perClass.GetProperty("last").GetProperty("accuracy")[1].GetDouble(), 12);
        Assert.Equal(0.30, perClass.GetProperty("last").GetProperty("matrix")[1][0].GetDouble(), 12);
    }

    [Fact]
    public void ConfusionPngHasOneHeatMapPerConfiguration()
    {
        var report = MakeGrid();
        string png = Path.Combine(_root, "confusion.png");
        var drawn = Plots.ConfusionMatrices(report, png, panelWidth: 400, panelHeight: 380);
        Assert.Equal(["relu-default", "talu-a1-fixed-default"], drawn.Select(d => d.Name));
        Assert.Same(report.Configurations[0].PerClass!.Last.Matrix, drawn[0].Matrix);
        using var image = Image.Load<Rgb24>(png);
        Assert.Equal((800, 380), (image.Width, image.Height)); // two panels side by side
        // A heat map is colourful: many distinct colours, unlike a blank or text-only panel.
        var colours = new HashSet<Rgb24>();
        for (int y = 0; y < image.Height; y += 3)
            for (int x = 0; x < image.Width; x += 3)
                colours.Add(image[x, y]);
        Assert.True(colours.Count > 20, $"only {colours.Count} colours");
    }

    [Fact]
    public void OlderRunsWithoutConfusionJsonAreReportedWithoutTheTable()
    {
        var report = MakeGrid(skip: _ => true);
        Assert.All(report.Configurations, c => Assert.Null(c.PerClass));
        string md = report.ToMarkdown();
        Assert.Contains("No per-class table: none of these runs wrote a confusion.json (runs from before it existed).", md);
        Assert.DoesNotContain("| Class |", md);
        string png = Path.Combine(_root, "confusion.png");
        Assert.Empty(Plots.ConfusionMatrices(report, png));
        Assert.False(File.Exists(png));
    }

    [Fact]
    public void ARunWithoutTheFileIsNotCountedAndSaidSo()
    {
        var report = MakeGrid(skip: c => c.Activation == "relu" && c.Seed == 2);
        var relu = report.Configurations.Single(c => c.Activation == "relu").PerClass!;
        Assert.Equal(1, relu.Last.Runs);
        Assert.Equal([0.9, 0.8, 1.0], relu.Last.Accuracy.Select(a => Math.Round(a, 12)));
        string md = report.ToMarkdown();
        Assert.Contains("Runs without confusion.json, not counted here: relu-default (1 of 2).", md);
        Assert.Contains("| Class | relu-default (n=1) | talu-a1-fixed-default (n=2) |", md);
    }

    [Theory]
    [InlineData("{\"classes\": [\"cat\", \"dog\", \"eel\"], \"last\": {\"epoch\": 2, \"matrix\": [[1, 0, 0], [0, 1, 0]]}}", "the \"last\" matrix is not 2×2")]
    [InlineData("{\"classes\": [\"cat\", \"dog\"], \"last\": {\"epoch\": 2, \"matrix\": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}}", "2 class names for a 3×3 matrix")]
    [InlineData("{\"last\": {\"epoch\": 2, \"matrix\": [[1, -1], [0, 1]]}}", "the \"last\" matrix has a negative count")]
    [InlineData("{\"last\": {\"epoch\": 2, \"matrix\": [[1, 0], [0, 1]]}, \"best_val\": {\"epoch\": 0, \"matrix\": [[1, 0], [0, 1]]}}", "\"best_val\" has epoch 0, not ≥ 1")]
    [InlineData("{\"last\": {\"epoch\": 2, \"matrix\": [[1, 0], [0, 1]]}, \"best_val\": {\"epoch\": 1, \"matrix\": [[1]]}}", "the \"best_val\" matrix is not 2×2")]
    [InlineData("{\"classes\": [\"a\"]}", "no \"last\" matrix")]
    [InlineData("{\"last\": {\"epoch\": 1, \"matrix\": []}}", "the \"last\" matrix is empty")]
    [InlineData("{\"last\": {\"epoch\": 1, \"matrix\": [[1, 0], [0, \"x\"]]}}", "is corrupt (")]
    [InlineData("{\"last\": ", "is corrupt (")]
    public void AMalformedFileIsOneErrorNamingIt(string content, string problem)
    {
        string path = MakeGridAndRewrite("relu-default-s2", p => File.WriteAllText(p, content));
        var e = Assert.Throws<DataFormatException>(() => StudyReport.FromGrid(_root));
        Assert.StartsWith($"{path}: the confusion.json of run 'relu-default-s2' ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.EndsWith("delete it to report the run without per-class results", e.Message);
    }

    [Fact]
    public void SeedsThatDisagreeOnTheClassesAreAnError()
    {
        string path = MakeGridAndRewrite("relu-default-s2", p => RunJson.WriteAtomic(p, new ConfusionFile(["cat", "dog", "fox"], new ConfusionMatrix(2, ReluLast[1]), null)));
        var e = Assert.Throws<DataFormatException>(() => StudyReport.FromGrid(_root));
        Assert.StartsWith(path, e.Message);
        Assert.Contains("(cat, dog, fox) differ from those of", e.Message);
    }

    [Fact]
    public void PlotGridPrintsOneErrorLineForAMalformedFile()
    {
        string path = MakeGridAndRewrite("talu-a1-fixed-default-s1", p => File.WriteAllText(p, "{\"last\": {\"epoch\": 2, \"matrix\": [[1, 0], [0, 1, 2]]}}"));
        var (code, _, err) = AppCli.Run(["plot", "--grid", _root]);
        Assert.Equal(1, code);
        Assert.Equal($"error: {path}: the confusion.json of run 'talu-a1-fixed-default-s1' is malformed: the \"last\" matrix is not 2×2; "
            + "delete it to report the run without per-class results", err.Trim());
    }
}
