// The command line in process: bad options are one line on stderr and exit code 2; an unavailable
// device is one line naming what is available and exit code 1; help and devices exit 0.
using Activations.Training.Cli;

namespace Activations.Tests.Training;

public class CommandLineTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => Infrastructure.AppCli.Run(args);

    [Theory]
    [InlineData("--bogus")]
    [InlineData("train", "--bogus", "1")]
    [InlineData("--lr")]
    [InlineData("--batch", "0")]
    [InlineData("--batch", "-3")]
    [InlineData("--batch", "abc")]
    [InlineData("--epochs", "0")]
    [InlineData("--lr", "-0.1")]
    [InlineData("--lr", "0")]
    [InlineData("--momentum", "1.5")]
    [InlineData("--weight-decay", "-1")]
    [InlineData("--activation", "swishy")]
    [InlineData("--activation", "talu", "--alpha", "0")]
    [InlineData("--activation", "exlu", "--alpha", "-1")]
    [InlineData("--activation", "elu", "--alpha", "0")]
    [InlineData("--activation", "relu", "--learnable-alpha")]
    [InlineData("--activation", "talu", "--alpha-per-channel")]
    [InlineData("--model", "resnet")]
    [InlineData("--dataset", "imagenet")]
    [InlineData("--init", "zeros")]
    [InlineData("--optimizer", "lbfgs")]
    [InlineData("--schedule", "warm")]
    [InlineData("--device", "tpu")]
    [InlineData("--device", "cuda:x")]
    [InlineData("--momentum", "0", "--nesterov")]
    [InlineData("--limit-train", "-5")]
    [InlineData("--check-every", "0")]
    [InlineData("--clip-grad-norm", "0")]
    [InlineData("--clip-grad-norm", "-1")]
    [InlineData("compare", "--activations", "relu:1")]
    [InlineData("compare", "--activations", "exlu:x")]
    [InlineData("compare", "--activations", "exlu:-0.2")]
    [InlineData("frobnicate")]
    [InlineData("verify", "--device", "gpu")]
    public void UsageErrorsAreOneLineAndExitCode2(params string[] args)
    {
        var (code, stdout, stderr) = Run(args);
        Assert.Equal(CommandLine.Usage, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("error: ", stderr);
        Assert.Single(stderr.TrimEnd('\n', '\r').Split('\n'));
        Assert.DoesNotContain("Exception", stderr); // no stack trace, no exception type
    }

    [Fact]
    public void UnavailableDeviceNamesWhatIsAvailableAndExitCode1()
    {
        var (code, _, stderr) = Run("--device", "cuda:7", "--limit-train", "10");
        Assert.Equal(CommandLine.Failure, code);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains("available", stderr);
        Assert.Contains("cpu", stderr);
        Assert.Single(stderr.TrimEnd('\n', '\r').Split('\n'));
    }

    [Fact]
    public void MissingCheckpointIsOneLineAndExitCode1()
    {
        string? mirror = Infrastructure.TestData.MnistMirror();
        Skip.If(mirror is null, "MNIST not found (DATASETS_MIRROR)");
        using var runs = new Infrastructure.TempDir();
        var (code, _, stderr) = Run("--device", "cpu", "--data", mirror!, "--limit-train", "64", "--limit-test", "64",
            "--out", runs.Path, "--resume", runs.File("nope.safetensors"));
        Assert.Equal(CommandLine.Failure, code);
        Assert.Contains("checkpoint not found", stderr);
        Assert.Single(stderr.TrimEnd('\n', '\r').Split('\n'));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbage")]
    [InlineData("empty")]
    public void BrokenCheckpointIsOneLineNamingTheFileAndExitCode1(string kind)
    {
        string? mirror = Infrastructure.TestData.MnistMirror();
        Skip.If(mirror is null, "MNIST not found (DATASETS_MIRROR)");
        using var runs = new Infrastructure.TempDir();
        string[] common = ["--device", "cpu", "--data", mirror!, "--limit-train", "64", "--limit-test", "64", "--batch", "32", "--out", runs.Path];
        var first = Run([.. common, "--epochs", "1"]);
        Assert.True(first.Code == 0, first.Err);
        string good = Path.Combine(Assert.Single(Directory.GetDirectories(runs.Path)), "checkpoint.safetensors");
        byte[] bytes = File.ReadAllBytes(good);
        string broken = runs.File($"{kind}.safetensors");
        File.WriteAllBytes(broken, kind switch
        {
            "truncated" => bytes[..(bytes.Length * 2 / 3)],
            "garbage" => [.. bytes[..8], .. System.Text.Encoding.ASCII.GetBytes("{not json at all")],
            _ => [],
        });
        var (code, _, stderr) = Run([.. common, "--epochs", "2", "--resume", broken]);
        Assert.Equal(CommandLine.Failure, code);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains($"{kind}.safetensors", stderr);
        Assert.Single(stderr.TrimEnd('\n', '\r').Split('\n'));
        Assert.DoesNotContain("Exception", stderr);
    }

    [Fact]
    public void HelpAndDevicesExit0()
    {
        var (code, stdout, _) = Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("train", stdout);
        Assert.Contains("devices", stdout);
        (code, stdout, _) = Run("train", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--learnable-alpha", stdout);
        (code, stdout, _) = Run("devices");
        Assert.Equal(0, code);
        Assert.Contains("cpu", stdout);
        Assert.Contains("host", stdout);
    }
}
