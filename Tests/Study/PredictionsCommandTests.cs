// `activations predictions`: a trained run's checkpoint classifies the test images; the accuracy it
// prints equals the run's own final test accuracy, and the grid marks exactly its mistakes.
using System.Globalization;
using System.Text.RegularExpressions;
using Activations.Tests.Infrastructure;
using Activations.Training.Cli;
using Activations.Training.Run;

namespace Activations.Tests.Study;

public class PredictionsCommandTests
{
    [SkippableFact]
    public void GridOfATrainedRunAgreesWithItsMetrics()
    {
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        var r = AppCli.Run("--device", "cpu", "--data", mirror, "--limit-train", "640", "--limit-test", "300", "--batch", "32",
            "--epochs", "1", "--activation", "talu", "--out", dir.Path);
        Assert.True(r.Code == 0, r.Err);
        string run = Assert.Single(Directory.GetDirectories(dir.Path));
        var metrics = TestData.Metrics(run);
        string checkpoint = Path.Combine(run, RunFolder.CheckpointFile);

        r = AppCli.Run("predictions", "--checkpoint", checkpoint, "--device", "cpu", "--data", mirror, "--limit-test", "300", "--count", "40");
        Assert.True(r.Code == 0, r.Err);
        var m = Regex.Match(r.Out, @"on 300 mnist test images: (\d+) correct, accuracy");
        Assert.True(m.Success, r.Out);
        Assert.Equal(metrics[^1].TestAccuracy * 300, double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), 6);
        string png = Path.Combine(run, "predictions.png");
        Assert.True(File.Exists(png));
        var csv = File.ReadAllLines(Path.ChangeExtension(png, ".csv"));
        Assert.Equal(41, csv.Length); // header + 40 images

        r = AppCli.Run("predictions", "--checkpoint", checkpoint, "--device", "cpu", "--data", mirror, "--limit-test", "300",
            "--misclassified", "--out", Path.Combine(dir.Path, "wrong.png"));
        Assert.True(r.Code == 0, r.Err);
        int wrong = 300 - int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Contains($"({Math.Min(wrong, 50)} images, {Math.Min(wrong, 50)} wrong;", r.Out);
    }

    [Fact]
    public void MissingOrForeignCheckpointIsOneLineExit1()
    {
        using var dir = new TempDir();
        var r = AppCli.Run("predictions", "--checkpoint", dir.File("none.safetensors"), "--device", "cpu");
        Assert.Equal(CommandLine.Failure, r.Code);
        Assert.Contains("none.safetensors", r.Err);
        Assert.Single(r.Err.TrimEnd('\n').Split('\n'));
        r = AppCli.Run("predictions", "--device", "cpu");
        Assert.Equal(CommandLine.Usage, r.Code);
    }
}
