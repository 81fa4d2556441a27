// Resume takes the run's settings from its checkpoint (issue 16, findings 1 and 2): only what can
// safely change (--epochs, --device, --check-every, output and data paths) may be given again; any
// other option that differs from the stored value is a usage error naming the option and both values;
// and a resume that is refused or fails leaves the run folder as it was.
using System.Text.Json;
using Activations.Tests.Infrastructure;
using Activations.Training.Checkpoints;
using Activations.Training.Cli;
using Xunit.Abstractions;

namespace Activations.Tests.Training;

public class ResumeSettingsTests(ITestOutputHelper output)
{
    private static string[] Data(string mirror) => ["--device", "cpu", "--data", mirror, "--limit-train", "320", "--limit-test", "64"];

    /// <summary>A one-epoch TaLU run with non-default settings; returns its folder.</summary>
    private static string TaluRun(string mirror, string root)
    {
        var r = AppCli.Run([.. Data(mirror), "--batch", "32", "--activation", "talu", "--alpha", "0.5", "--lr", "0.05", "--seed", "3",
            "--schedule", "cosine", "--epochs", "1", "--out", root]);
        Assert.True(r.Code == 0, r.Err);
        return Assert.Single(Directory.GetDirectories(root));
    }

    private static JsonElement Config(string run) => JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json"))).RootElement;

    [SkippableFact] // 1
    public void ResumeKeepsTheRunsSettings()
    {
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        string run = TaluRun(mirror, dir.File("runs"));
        string ckpt = Path.Combine(run, "checkpoint.safetensors");
        var (code, stdout, stderr) = AppCli.Run([.. Data(mirror), "--resume", ckpt, "--epochs", "2"]);
        output.WriteLine(stdout + stderr);
        Assert.True(code == 0, stderr);
        Assert.Contains("training mlp (talu, α=0.5, init default)", stdout);
        Assert.Contains("batch 32, sgd lr 0.05 (cosine), seed 3", stdout);
        var c = Config(run);
        Assert.Equal("talu", c.GetProperty("activation").GetString());
        Assert.Equal(0.5, c.GetProperty("alpha").GetDouble(), 6);
        Assert.Equal(0.05, c.GetProperty("lr").GetDouble(), 6);
        Assert.Equal(3UL, c.GetProperty("seed").GetUInt64());
        Assert.Equal("cosine", c.GetProperty("schedule").GetString());
        Assert.Equal(32, c.GetProperty("batch").GetInt32());
        Assert.Equal(2, c.GetProperty("epochs").GetInt32());
    }

    [SkippableTheory] // 1
    [InlineData("--lr", "0.1", "0.05")]
    [InlineData("--batch", "16", "32")]
    [InlineData("--seed", "4", "3")]
    [InlineData("--activation", "relu", "talu")]
    [InlineData("--schedule", "constant", "cosine")]
    [InlineData("--alpha", "0.7", "0.5")]
    [InlineData("--limit-train", "640", "320")]
    public void ResumeRefusesAChangedSetting(string option, string given, string stored)
    {
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        string run = TaluRun(mirror, dir.File("runs"));
        string ckpt = Path.Combine(run, "checkpoint.safetensors");
        byte[] config = File.ReadAllBytes(Path.Combine(run, "config.json")), checkpoint = File.ReadAllBytes(ckpt);
        string[] data = option == "--limit-train" ? ["--device", "cpu", "--data", mirror, "--limit-test", "64"] : Data(mirror);
        var (code, stdout, stderr) = AppCli.Run([.. data, "--resume", ckpt, "--epochs", "2", option, given]);
        output.WriteLine(stderr);
        Assert.Equal(CommandLine.Usage, code);
        Assert.Equal("", stdout);
        Assert.Equal($"error: {option}: the run in the checkpoint has {stored}, not {given}; a resumed run keeps its settings " +
                     "(only --epochs, --device, --check-every, --out, --data and --mirror may be given again) (see `activations --help`)", stderr.TrimEnd());
        Assert.Equal(config, File.ReadAllBytes(Path.Combine(run, "config.json")));
        Assert.Equal(checkpoint, File.ReadAllBytes(ckpt));
    }

    [SkippableFact] // 1: the same value given again is no change
    public void ResumeAcceptsTheStoredValueGivenAgain()
    {
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        string ckpt = Path.Combine(TaluRun(mirror, dir.File("runs")), "checkpoint.safetensors");
        var r = AppCli.Run([.. Data(mirror), "--resume", ckpt, "--epochs", "2", "--lr", "0.05", "--activation", "TaLU", "--batch", "32", "--check-every", "7"]);
        Assert.True(r.Code == 0, r.Err);
    }

    [SkippableFact] // 2: a resume that faults leaves config.json, metrics and the checkpoint as they were
    public void AFailedResumeChangesNothingInTheRunFolder()
    {
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        string run = TaluRun(mirror, dir.File("runs"));
        string ckpt = Path.Combine(run, "checkpoint.safetensors");
        // Finite weights so large that the first forward pass overflows: a numerical fault on resume.
        TestData.RewriteTensor(ckpt, "fc1.weight", v => v * 1e37f + 1e37f);
        var before = Directory.GetFiles(run).ToDictionary(f => f, File.ReadAllBytes);
        var (code, _, stderr) = AppCli.Run([.. Data(mirror), "--resume", ckpt, "--epochs", "2", "--check-every", "1"]);
        output.WriteLine(stderr);
        Assert.Equal(CommandLine.NumericalFault, code);
        Assert.Equal(before.Keys.Order(), Directory.GetFiles(run).Order());
        foreach (var (file, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(File.ReadAllBytes(file)), $"{file} changed");
    }
}
