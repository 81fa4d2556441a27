// `compare` takes train's whole recipe: each bad value is a usage error (exit 2, one error line naming
// the option) before anything is trained or written; the recipe is recorded in grid.json and every
// run's config.json, and a grid resumed with a different recipe is refused.
using System.Text.Json.Nodes;
using Activations.Tests.Infrastructure;
using Activations.Training.Cli;
using Activations.Training.Run;

namespace Activations.Tests.Study;

public class CompareRecipeTests
{
    private static (int Code, string Out, string Err) Cli(params string[] args) => AppCli.Run(args);

    [Theory]
    [InlineData("--optimizer", "rmsprop", "--optimizer: unknown optimizer 'rmsprop'")]
    [InlineData("--schedule", "linear", "--schedule: unknown schedule 'linear'")]
    [InlineData("--weight-decay", "-0.1", "--weight-decay must be ≥ 0; got -0.1")]
    [InlineData("--label-smoothing", "2", "--label-smoothing must be in [0, 1]; got 2")]
    [InlineData("--clip-grad-norm", "0", "--clip-grad-norm must be a positive number; got 0")]
    [InlineData("--lr", "0", "--lr must be a positive number; got 0")]
    [InlineData("--momentum", "1", "--momentum must be in [0, 1); got 1")]
    [InlineData("--batch", "0", "--batch must be between 1 and")]
    [InlineData("--epochs", "0", "--epochs must be between 1 and")]
    [InlineData("--val", "-1", "--val must be")]
    [InlineData("--val", "500", "--val 500 holds out all 500 training images")]
    [InlineData("--inits", "orthogonal", "--inits: unknown scheme 'orthogonal'")]
    [InlineData("--lr", "1,5", "--lr: '1,5' is not a plain number")]
    public void EachBadRecipeValueIsAUsageErrorBeforeAnyRun(string option, string value, string message)
    {
        using var dir = new TempDir();
        AppCli.FailsWithOneErrorLine(CommandLine.Usage, ["compare", "--device", "cpu", "--activations", "relu,talu", "--seeds", "0", "--limit-train", "500", option, value, "--out", dir.File("g")], message);
        Assert.False(File.Exists(dir.File("g/grid.json")), "nothing may start before the grid is checked");
    }

    [Fact]
    public void NesterovWithoutMomentumIsRefused()
    {
        var r = Cli("compare", "--device", "cpu", "--nesterov", "--momentum", "0");
        Assert.Equal(2, r.Code);
        Assert.StartsWith("error: --nesterov needs --momentum > 0", r.Err);
    }

    [SkippableFact]
    public void TheRecipeIsRecordedInGridJsonAndEveryRunAndAChangedRecipeIsRefused()
    {
        using var dir = new TempDir();
        string[] args = ["compare", "--activations", "relu,talu", "--seeds", "0-1", "--epochs", "2", "--limit-train", "600", "--limit-test", "200",
            "--device", "cpu", .. TestData.MnistFromMirror(dir), "--out", dir.File("g"),
            "--optimizer", "adamw", "--lr", "0.002", "--schedule", "cosine", "--weight-decay", "0.05", "--label-smoothing", "0.1",
            "--clip-grad-norm", "5", "--batch", "32", "--val", "100"];
        var r = Cli(args);
        Assert.True(r.Code == 0, r.Err + r.Out);
        var spec = JsonNode.Parse(File.ReadAllText(dir.File("g/grid.json")))!["spec"]!;
        Assert.Equal("adamw", (string)spec["optimizer"]!);
        Assert.Equal("cosine", (string)spec["schedule"]!);
        Assert.Equal(0.05, (double)spec["weight_decay"]!, 6);
        Assert.Equal(0.1, (double)spec["label_smoothing"]!, 6);
        Assert.Equal(5, (double)spec["clip_grad_norm"]!);
        Assert.Equal(32, (int)spec["batch_size"]!);
        Assert.Equal(0.002, (double)spec["learning_rate"]!);
        Assert.Equal(100, (int)spec["val"]!);
        foreach (string id in new[] { "relu-default-s0", "talu-a1-fixed-default-s1" })
        {
            var config = RunJson.Read<RunConfig>(dir.File($"g/{id}/config.json"));
            Assert.Equal(("adamw", "cosine", 0.05f, 0.1f, 5f, 32, 100), (config.Optimizer, config.Schedule, config.WeightDecay, config.LabelSmoothing, config.ClipGradNorm, config.Batch, config.Val));
            var metrics = RunFolder.ReadMetrics(dir.File($"g/{id}"))!;
            Assert.All(metrics, m => Assert.NotNull(m.ValAccuracy));
            Assert.True(File.Exists(dir.File($"g/{id}/{RunFolder.BestValCheckpointFile}")));
            Assert.True(File.Exists(dir.File($"g/{id}/{RunFolder.ConfusionFile}")));
        }
        string report = File.ReadAllText(dir.File("g/report.md"));
        Assert.Contains("Acc. at best-val epoch", report);
        Assert.Contains("optimizer=adamw schedule=cosine weight_decay=0.05", report);
        Assert.DoesNotContain("Best acc.", report);

        r = Cli([.. args.Select(a => a == "cosine" ? "constant" : a)]);
        Assert.Equal(2, r.Code);
        Assert.Contains("schedule: stored \"cosine\", given \"constant\"", r.Err);
        r = Cli([.. args.Select(a => a == "100" ? "200" : a)]);
        Assert.Equal(2, r.Code);
        Assert.Contains("val: stored 100, given 200", r.Err);
        r = Cli(args);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("0 trained, 4 already done", r.Out);
    }
}
