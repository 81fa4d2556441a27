using Activations.Tests.Infrastructure;
using Activations.Training.Cli;
using Activations.Training.Data;
using Activations.Training.Run;
using Activations.Training.Study;
using RunMetrics = Activations.Training.Run.EpochMetrics;
using TrainRunFolder = Activations.Training.Run.RunFolder;
using RunConfig = Activations.Training.Run.RunConfig;

namespace Activations.Tests.Study;

public class CompareCommandTests
{
    private static (int Code, string Out, string Err) Cli(params string[] args) => AppCli.Run(args);

    [SkippableFact]
    public void CompareTrainsTheGridReportsAndResumesWithoutRetraining()
    {
        using var grid = new TempDir();
        string[] args = ["compare", "--activations", "relu,exlu", "--alphas", "0.2", "--seeds", "0-1", "--epochs", "1",
            "--limit-train", "600", "--limit-test", "200", "--device", "cpu", .. TestData.MnistFromMirror(grid), "--out", grid.File("g")];
        var r = Cli(args);
        Assert.True(r.Code == 0, r.Err + r.Out);
        Assert.Contains("4 trained, 0 already done", r.Out);
        string report = File.ReadAllText(grid.File("g/report.md"));
        Assert.Contains("relu-default", report);
        Assert.Contains("exlu-a0.2-fixed-default", report);
        Assert.Matches("within noise|significant", report);
        Assert.Equal(3, File.ReadAllLines(grid.File("g/summary.csv")).Length); // header + 2 configurations
        Assert.Contains("| Class | relu-default (n=2) | exlu-a0.2-fixed-default (n=2) |", report); // every run wrote confusion.json
        Assert.Contains("Holm p", report);
        foreach (var png in new[] { "g/curves.png", "g/accuracy.png", "g/confusion.png" })
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(grid.File(png))[..4]);

        r = Cli(args);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("0 trained, 4 already done", r.Out);
    }

    [SkippableFact]
    public void AnInterruptedRunResumesFromItsCheckpointAndLearnedAlphaIsReported()
    {
        using var grid = new TempDir();
        string[] args = ["compare", "--activations", "talu", "--alphas", "0.5", "--learnable", "learnable", "--seeds", "0", "--epochs", "1",
            "--limit-train", "400", "--limit-test", "100", "--device", "cpu", .. TestData.MnistFromMirror(grid), "--out", grid.File("g")];
        var r = Cli(args);
        Assert.True(r.Code == 0, r.Err + r.Out);
        string run = Assert.Single(Directory.GetDirectories(grid.File("g")));
        string report = File.ReadAllText(grid.File("g/report.md"));
        Assert.Contains("talu-a0.5-learn-default", report);
        File.Delete(Path.Combine(run, "done.json")); // as if the process had died after its last checkpoint
        r = Cli(args);
        Assert.True(r.Code == 0, r.Err + r.Out);
        Assert.Contains("resumed talu-a0.5-learn-default-s0 after epoch 1", r.Out);
        Assert.True(File.Exists(Path.Combine(run, "done.json")));
        // The learned α (mean over its values) fills the report's last column instead of "n/a".
        var row = File.ReadAllLines(grid.File("g/report.md")).First(l => l.StartsWith("| talu-a0.5-learn-default |"));
        Assert.Matches(@"\| 0\.\d+ \|$", row);
        string md = File.ReadAllText(grid.File("g/report.md"));
        Assert.Contains("### Learned α per run", md);
        Assert.Matches(@"\| talu-a0\.5-learn-default-s0 \| 0\.5 \| \d+\.\d+, \d+\.\d+ \|", md); // the MLP's two activation layers
    }

    [SkippableFact]
    public void AGridStoppedInMidRunResumesThatRunWhereItStopped()
    {
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        var device = TestDevices.Get("cpu");
        var spec = new GridSpec
        {
            Dataset = "mnist", Model = "mlp", Epochs = 2, BatchSize = 16, Device = "cpu", Activations = ["exlu"], Alphas = [0.2], Seeds = [4],
        };
        GridRunOutcome Run(string folder, CancellationToken token)
        {
            var app = new AppTrainFunction(device, new DatasetLocator(dir.File("data"), mirror), 6400, 300, TextWriter.Null);
            return new GridRunner(spec, folder, app.Train).Run("test", token);
        }
        List<RunMetrics> Metrics(string folder) => TestData.Metrics(Assert.Single(Directory.GetDirectories(folder)));

        new DatasetLocator(dir.File("data"), mirror).EnsureMnist(); // the copy from the mirror (hash-checked) is not part of the 3 s
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
        {
            var first = Run(dir.File("stopped"), stop.Token);
            Assert.True(first.Cancelled, "the run finished before the stop: the test needs a longer run");
        }
        string run = Assert.Single(Directory.GetDirectories(dir.File("stopped")));
        var meta = global::Activations.Training.Checkpoints.SafeTensors.Read(Path.Combine(run, TrainRunFolder.CheckpointFile)).Metadata;
        Assert.NotEqual("0", meta["step_in_epoch"]); // stopped inside an epoch, not at its end
        var resumed = Run(dir.File("stopped"), CancellationToken.None);
        Assert.True(resumed.Complete);
        Assert.True(Run(dir.File("whole"), CancellationToken.None).Complete);
        Assert.Equal(Metrics(dir.File("whole")).Select(m => (m.Epoch, m.TrainLoss, m.TestLoss, m.TestAccuracy)),
                     Metrics(dir.File("stopped")).Select(m => (m.Epoch, m.TrainLoss, m.TestLoss, m.TestAccuracy)));
    }

    [Theory]
    [InlineData("--activations", "")]
    [InlineData("--activations", "relu,bogus")]
    [InlineData("--alphas", "0")]
    [InlineData("--seeds", "3-1x")]
    [InlineData("--learnable", "sometimes")]
    [InlineData("--model", "resnet")]
    public void BadGridOptionsAreUsageErrors(string option, string value) =>
        AppCli.FailsWithOneErrorLine(CommandLine.Usage, ["compare", option, value, "--device", "cpu"]);

    [SkippableFact]
    public void PlotDrawsTheActivationFiguresFromTheKernels()
    {
        using var dir = new TempDir();
        var r = Cli("plot", "--alphas", "0.2,1", "--activations", "relu,talu,exlu", "--device", "cpu", "--out", dir.File("a.png"));
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("cpu kernels", r.Out);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(dir.File("a.png"))[..4]);
        Assert.Equal(2, Cli("plot", "--alphas", "-1", "--activations", "exlu", "--device", "cpu").Code);
    }
}
