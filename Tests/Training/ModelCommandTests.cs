// `activations summary`, `graph` and `--version`, run in process as a user would, and the help text
// of every option of every command.
using Activations.Training.Models;
using System.CommandLine;
using System.Diagnostics;
using Activations.Training.Cli;

namespace Activations.Tests.Training;

public class ModelCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => Infrastructure.AppCli.Run(args);

    [Fact]
    public void VersionPrintsTheVersionAndTheCommit()
    {
        var (code, stdout, stderr) = Run("--version");
        Assert.Equal(CommandLine.Ok, code);
        Assert.Equal("", stderr);
        // Built from a git checkout, SourceLink embeds the full commit hash.
        Assert.Matches(@"^activations \d+\.\d+\.\d+\S* \(commit [0-9a-f]{40}\)\s*$", stdout);
    }

    [Theory]
    [InlineData("mlp", 109_386)]      // 784·128 + 128 + 128·64 + 64 + 64·10 + 10
    [InlineData("lenet", 62_006)]     // the classic LeNet-5 count for CIFAR-10
    [InlineData("lenet-bn", 62_028)]  // lenet − 22 conv biases + 2·(6 + 16) BN scales and shifts
    public void SummaryCountsParametersAndFlops(string model, long parameters)
    {
        var (code, stdout, stderr) = Run("summary", "--model", model);
        Assert.Equal(CommandLine.Ok, code);
        Assert.Equal("", stderr);
        Assert.Contains($"total: {parameters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} parameters", stdout);
        Assert.Contains("FLOPs per image", stdout);
        if (model == "mlp")
        {
            // fc1: 2·784·128 multiply-adds counted twice, plus 128 bias adds; output (128).
            Assert.Matches(@"fc1\s+Linear 784→128\s+\(128\)\s+100,480\s+200,832", stdout);
            Assert.Contains("total: 109,386 parameters, 218,762 FLOPs per image", stdout);
        }
        else if (model == "lenet")
        {
            Assert.Matches(@"conv1\s+Conv2d 3→6 5×5\s+\(6, 28, 28\)\s+456", stdout);
        }
        else
        {
            // No conv bias before BatchNorm: 3·6·25 weights, then bn1's 6 scales and 6 shifts.
            Assert.Matches(@"conv1\s+Conv2d 3→6 5×5\s+\(6, 28, 28\)\s+450", stdout);
            Assert.Matches(@"bn1\s+BatchNorm\S*\s+\(6, 28, 28\)\s+12", stdout);
        }
    }

    [Fact]
    public void GraphWritesOpsShapesSavedTensorsAndBackwardEdges()
    {
        string dir = Directory.CreateTempSubdirectory("graph-").FullName;
        try
        {
            string file = Path.Combine(dir, "mlp.dot");
            var (code, stdout, stderr) = Run("graph", "--model", "mlp", "--activation", "talu", "--out", file);
            Assert.Equal(CommandLine.Ok, code);
            Assert.Equal("", stderr);
            Assert.Contains("wrote", stdout);
            string dot = File.ReadAllText(file);
            Assert.StartsWith("digraph \"mlp (talu), one training step, batch 4\" {", dot);
            foreach (var s in new[] { "parameter: fc1.weight\\n[128, 784]", "linear\\n[4, 128]", "talu\\n[4, 128]", "saves its output",
                         "softmax_cross_entropy\\n[]\\nbackward #1", "saved: (softmax − q)/N\\n[4, 10]", "label=\"saved\"", "style=dashed" })
                Assert.Contains(s, dot);
            // One backward step per recorded op: 3 linear + 2 talu + the loss.
            Assert.Contains("backward #6", dot);
            Assert.DoesNotContain("backward #7", dot);
        }
        finally { Directory.Delete(dir, true); }
    }

    [SkippableFact]
    public void GraphRendersPngThroughGraphviz()
    {
        Skip.IfNot(DotInstalled(), "Graphviz's dot is not installed (apt-get install graphviz)");
        string dir = Directory.CreateTempSubdirectory("graph-").FullName;
        try
        {
            string file = Path.Combine(dir, "cnn.png");
            var (code, _, stderr) = Run("graph", "--model", "cnn", "--activation", "exlu", "--learnable-alpha", "--out", file);
            Assert.Equal(CommandLine.Ok, code);
            Assert.Equal("", stderr);
            byte[] png = File.ReadAllBytes(file);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            Assert.Contains("max_pool2d.indices", File.ReadAllText(Path.ChangeExtension(file, ".dot")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("graph", "--model", "mlp", "--out", "x.pdf")]
    [InlineData("graph", "--model", "mlp", "--format", "jpg", "--out", "x.png")]
    [InlineData("graph", "--model", "resnet", "--out", "x.dot")]
    [InlineData("graph", "--model", "mlp")]
    [InlineData("graph", "--model", "mlp", "--out", "/nonexistent-folder/x.dot")]
    [InlineData("summary", "--activation", "swishy")]
    [InlineData("export", "--checkpoint", "nonexistent.safetensors", "--format", "tflite")]
    [InlineData("export", "--checkpoint", "nonexistent.safetensors")]
    [InlineData("train", "--init-from", "a.safetensors", "--resume", "b.safetensors")]
    public void BadGraphAndSummaryOptionsAreUsageErrors(params string[] args)
    {
        var (code, stdout, stderr) = Run(args);
        Assert.Equal(CommandLine.Usage, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("error: ", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void EveryOptionOfEveryCommandHasAHelpText()
    {
        var root = CommandLine.Build();
        var missing = root.Subcommands
            .SelectMany(c => c.Options.Select(o => (Command: c.Name, Option: o)))
            .Where(x => x.Option is not (System.CommandLine.Help.HelpOption or VersionOption) && string.IsNullOrWhiteSpace(x.Option.Description))
            .Select(x => $"{x.Command} {x.Option.Name}")
            .ToList();
        Assert.Empty(missing);
        foreach (var model in root.Subcommands.SelectMany(c => c.Options).Where(o => o.Name == "--model"))
            foreach (var name in ModelFactory.Names)
                Assert.Contains(name, model.Description);
        // Help names what a user types (a file.cs of their own is fine), never one of this repository's source files.
        Assert.DoesNotContain(root.Subcommands.SelectMany(c => c.Options),
            o => o.Description is { } d && System.Text.RegularExpressions.Regex.IsMatch(d, @"\b(Kernels|Engine|Training|Tests|Benchmarks)/[\w/]+\.cs"));
    }

    internal static bool DotInstalled()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("dot", "-V") { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }
}
