// The hostile command-line review (issue 16): every bad input is refused up front with one
// `error:` line naming the option or file, exit 2 for usage errors and 1 for runtime failures, and
// nothing the user asked for is silently changed. Each case names the finding it covers.
using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.InteropServices;
using Activations.Tests.Infrastructure;
using Activations.Training.Checkpoints;
using Activations.Training.Cli;
using Activations.Training.Data;
using Activations.Training.Run;
using Activations.Training.Study;
using Xunit.Abstractions;
using static Activations.Tests.Infrastructure.IdxFiles;

namespace Activations.Tests.Training;

public class ReliabilityTests(ITestOutputHelper output)
{
    private static void AssertOneLine(string stderr)
    {
        Assert.StartsWith("error: ", stderr);
        Assert.Single(stderr.TrimEnd('\n', '\r').Split('\n'));
        Assert.DoesNotMatch(@"^error: \w*Exception", stderr);
    }

    // Each case also carries a later bad option, so that a build that accepts the first one stops
    // at the second (with a message naming the wrong option) instead of starting to train.
    [Theory]
    // 6: numbers are plain invariant decimals
    [InlineData("--lr", "--lr", "0,5", "--schedule", "warm")]
    [InlineData("--lr", "--lr", "1,000", "--schedule", "warm")]
    [InlineData("--lr", "--lr", "Infinity", "--schedule", "warm")]
    [InlineData("--momentum", "--momentum", "0,5", "--schedule", "warm")]
    [InlineData("--alpha", "--activation", "talu", "--alpha", "0,5", "--schedule", "warm")]
    [InlineData("--clip-grad-norm", "--clip-grad-norm", "1,5", "--schedule", "warm")]
    [InlineData("--lr", "compare", "--lr", "0,5", "--model", "resnet")]
    [InlineData("--alphas", "compare", "--alphas", "1e", "--model", "resnet")]
    // 12: every integer option is range-checked
    [InlineData("--columns", "predictions", "--checkpoint", "/nonexistent/checkpoint.safetensors", "--columns", "2000000000")]
    [InlineData("--count", "predictions", "--checkpoint", "/nonexistent/checkpoint.safetensors", "--count", "2000000000")]
    [InlineData("--epochs", "--epochs", "2000000000", "--schedule", "warm")]
    [InlineData("--batch", "--batch", "1000000000", "--schedule", "warm")]
    [InlineData("--elements", "bench", "--elements", "2000000000", "--matmul", "x")]
    [InlineData("--epochs", "compare", "--epochs", "2000000000", "--device", "tpu")]
    [InlineData("--seeds", "compare", "--seeds", "0,0", "--device", "tpu")]
    // 13: usage errors exit 2, without an exception's name
    [InlineData("--device", "--device", "opencl:99999999999")]
    [InlineData("--device", "compare", "--device", "opencl:99999999999")]
    [InlineData("--device", "predictions", "--checkpoint", "/nonexistent/checkpoint.safetensors", "--device", "tpu")]
    [InlineData("--device", "plot", "--device", "tpu")]
    [InlineData("--inits", "compare", "--inits", "../../etc", "--device", "cpu")]
    [InlineData("--activations", "compare", "--activations", "relu,relu", "--device", "cpu")]
    // 5: compare checks the whole grid as train does, before anything starts
    [InlineData("--momentum", "compare", "--momentum", "5", "--device", "tpu")]
    [InlineData("--momentum", "compare", "--momentum", "-3", "--device", "tpu")]
    [InlineData("--lr", "compare", "--lr", "Infinity", "--device", "tpu")]
    [InlineData("--lr", "compare", "--lr", "1e39", "--device", "tpu")]
    [InlineData("--inits", "compare", "--inits", "bogus", "--device", "tpu")]
    [InlineData("--limit-train", "compare", "--limit-train", "-1", "--device", "tpu")]
    // 7: parameters that mean nothing are refused
    [InlineData("--alpha", "--activation", "relu", "--alpha", "5", "--schedule", "warm")]
    [InlineData("--alpha", "--activation", "gelu", "--alpha", "0.5", "--schedule", "warm")]
    [InlineData("--alphas", "compare", "--activations", "relu,gelu", "--alphas", "0.5", "--device", "tpu")]
    [InlineData("--learnable", "compare", "--activations", "relu,gelu", "--learnable", "both", "--device", "tpu")]
    [InlineData("--alphas", "compare", "--activations", "relu,talu:1", "--alphas", "0.5", "--device", "tpu")]
    // 8: output paths are checked first
    [InlineData("--out", "--out", "/proc/activations-test", "--device", "cuda:7")]
    [InlineData("--out", "compare", "--out", "/proc/activations-test", "--device", "cuda:7")]
    [InlineData("--out", "plot", "--out", "/proc/activations-test/a.png", "--device", "cuda:7")]
    public void BadValuesAreUsageErrorsNamingTheOption(string option, params string[] args)
    {
        var (code, stdout, stderr) = AppCli.Run(args);
        output.WriteLine(stderr);
        Assert.Equal(CommandLine.Usage, code);
        Assert.Equal("", stdout);
        AssertOneLine(stderr);
        Assert.StartsWith($"error: {option}", stderr);
    }

    [Fact] // 8
    public void AFileGivenAsOutIsRefusedBeforeAnythingElse()
    {
        using var dir = new TempDir();
        string file = dir.File("not-a-folder");
        File.WriteAllText(file, "x");
        foreach (var args in new[] { new[] { "--out", file, "--device", "cuda:7" }, ["compare", "--out", file, "--device", "cuda:7"] })
        {
            var (code, _, stderr) = AppCli.Run(args);
            Assert.Equal(CommandLine.Usage, code);
            AssertOneLine(stderr);
            Assert.Equal($"error: --out: {file} is a file, not a folder (see `activations --help`)", stderr.TrimEnd());
        }
    }

    /// <summary>A writer whose every write fails, as stderr on /dev/full does.</summary>
    private sealed class FullDisk : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
        public override void Write(char value) => throw new IOException("No space left on device");
        public override void Write(string? value) => throw new IOException("No space left on device");
        public override void WriteLine(string? value) => throw new IOException("No space left on device");
        public override void Flush() => throw new IOException("No space left on device");
    }

    [Fact] // 14
    public void AnUnwritableStderrKeepsTheExitCode()
    {
        Assert.Equal(CommandLine.Usage, CommandLine.Run(["--bogus"], new Console2(new StringWriter(), new FullDisk(), false)));
        Assert.Equal(CommandLine.Failure, CommandLine.Run(["predictions", "--checkpoint", "/nonexistent/c.safetensors"],
            new Console2(new FullDisk(), new FullDisk(), false)));
    }

    [SkippableFact] // 14, as a user runs it
    public void TheRealAppWithStderrOnDevFullExits2()
    {
        Skip.IfNot(File.Exists("/dev/full"), "needs /dev/full");
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"dotnet '{Path.Combine(AppContext.BaseDirectory, "activations.dll")}' --bogus 2>/dev/full");
        using var app = Process.Start(psi)!;
        app.StandardOutput.ReadToEnd();
        Assert.True(app.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Equal(CommandLine.Usage, app.ExitCode);
    }

    [Fact] // 13: no message starts with an exception's type name, even for an unexpected failure
    public void NoErrorLineStartsWithAnExceptionTypeName()
    {
        using var dir = new TempDir();
        string bad = dir.File("c.safetensors");
        File.WriteAllBytes(bad, [1, 2, 3]);
        foreach (var args in new[]
                 {
                     new[] { "predictions", "--checkpoint", bad },
                     ["predictions", "--checkpoint", dir.Path],
                     ["--resume", bad, "--device", "cpu", "--out", dir.File("runs")],
                     ["plot", "--grid", dir.Path],
                 })
        {
            var (code, _, stderr) = AppCli.Run(args);
            output.WriteLine(stderr);
            Assert.NotEqual(0, code);
            AssertOneLine(stderr);
        }
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo(string path, uint mode);

    /// <summary>Runs <paramref name="read"/> on another thread; a reader that blocks (a FIFO) fails the test instead of hanging it.</summary>
    private static Exception ReadFails(Action read)
    {
        var task = Task.Factory.StartNew(() => Record.Exception(read), TaskCreationOptions.LongRunning);
        Assert.True(task.Wait(TimeSpan.FromSeconds(15)), "reading blocked");
        return Assert.IsAssignableFrom<Exception>(task.Result);
    }

    [SkippableFact] // 10
    public void AFifoOrADeviceIsRefusedWithoutReadingIt()
    {
        Skip.If(OperatingSystem.IsWindows(), "FIFOs");
        using var dir = new TempDir();
        string fifo = dir.File("train-images-idx3-ubyte.gz");
        Assert.Equal(0, MkFifo(fifo, Convert.ToUInt32("644", 8)));
        var idx = ReadFails(() => Idx.ReadImages(fifo));
        Assert.IsType<DataFormatException>(idx);
        Assert.Equal($"{fifo}: is empty or not a regular file (a FIFO or a device); give a regular file", idx.Message);
        var ckpt = ReadFails(() => SafeTensors.Read(fifo));
        Assert.IsType<CheckpointException>(ckpt);
        Assert.StartsWith($"{fifo}: is empty or not a regular file", ckpt.Message);
        var zero = ReadFails(() => SafeTensors.Read("/dev/zero"));
        Assert.IsType<CheckpointException>(zero);
        Assert.StartsWith("/dev/zero: is empty or not a regular file", zero.Message);
        var (code, _, stderr) = AppCli.Run("predictions", "--checkpoint", "/dev/zero");
        Assert.Equal(CommandLine.Failure, code);
        AssertOneLine(stderr);
    }

    [Fact] // 10: the size is checked before a checkpoint is read
    public void AnOversizedCheckpointIsRefusedBeforeItIsRead()
    {
        using var dir = new TempDir();
        string big = dir.File("big.safetensors");
        using (var fs = new FileStream(big, FileMode.Create)) fs.SetLength(3L << 30); // sparse
        var e = Assert.Throws<CheckpointException>(() => SafeTensors.Read(big));
        Assert.Contains("larger than any checkpoint", e.Message);
    }


    [Fact] // 15: a CRC error says so
    public void AGzipChecksumErrorIsReportedAsCorruptData()
    {
        using var dir = new TempDir();
        var content = new byte[8 + 50];
        content[3] = 0x01;
        content[7] = 50;
        byte[] gz = Gzip(content);
        gz[^6] ^= 0xff; // the CRC-32 trailer
        string path = dir.File("labels.gz");
        File.WriteAllBytes(path, gz);
        var e = Assert.Throws<DataFormatException>(() => Idx.ReadLabels(path));
        output.WriteLine(e.Message);
        Assert.DoesNotContain("unsupported compression method", e.Message);
        Assert.Equal($"{path}: corrupt gzip data (a checksum or the compressed stream is wrong); delete it and fetch it again", e.Message);
    }

    [Fact] // 15: a corrupt mirror file is not copied
    public void ACorruptMirrorFileIsNotCopied()
    {
        using var data = new TempDir();
        using var mirror = new TempDir();
        Directory.CreateDirectory(Path.Combine(mirror.Path, "mnist"));
        string file = "t10k-labels-idx1-ubyte.gz";
        var content = new byte[8 + 10];
        content[3] = 0x01;
        content[7] = 10;
        File.WriteAllBytes(Path.Combine(mirror.Path, "mnist", file), Gzip(content));
        var locator = new DatasetLocator(data.Path, mirror.Path, _ => null) { DownloadUrls = [] };
        var e = Assert.Throws<DatasetUnavailableException>(() => locator.EnsureFile("mnist", file, IdxDatasets.Mnist.CheckFor(file)));
        output.WriteLine(e.Message);
        Assert.Contains($"mirror {Path.Combine(mirror.Path, "mnist", file)}: its content has SHA-256", e.Message);
        Assert.False(File.Exists(Path.Combine(data.Path, "mnist", file)));
        Assert.Empty(Directory.Exists(Path.Combine(data.Path, "mnist")) ? Directory.GetFiles(Path.Combine(data.Path, "mnist")) : []);
    }

    [SkippableFact] // 16: uncompressed IDX files are read, checked against the same hashes
    public void UncompressedIdxFilesAreReadAndChecked()
    {
        string mirror = TestData.RequireMnistMirror();
        using var data = new TempDir();
        string folder = Path.Combine(data.Path, "mnist");
        Directory.CreateDirectory(folder);
        foreach (var gz in DatasetLocator.IdxFiles)
        {
            using var src = new GZipStream(File.OpenRead(Path.Combine(mirror, "mnist", gz)), CompressionMode.Decompress);
            using var dst = File.Create(Path.Combine(folder, gz[..^3]));
            src.CopyTo(dst);
        }
        var locator = new DatasetLocator(data.Path, null, _ => null) { DownloadUrls = [] };
        var mnist = MnistDataset.Load(locator.EnsureMnist(), 100, 100);
        Assert.Equal(100, mnist.Train.Count);
        Assert.False(File.Exists(Path.Combine(folder, DatasetLocator.IdxFiles[0])), "nothing was fetched");

        using (var f = new FileStream(Path.Combine(folder, "t10k-labels-idx1-ubyte"), FileMode.Open)) { f.Position = 100; f.WriteByte(9); f.Position = 101; f.WriteByte(8); }
        var e = Assert.Throws<DataFormatException>(() => MnistDataset.Load(locator.EnsureMnist(), 100, 100));
        Assert.Contains("t10k-labels-idx1-ubyte: SHA-256", e.Message);
    }

    [Fact] // 9
    public void PlotGridWithACorruptDoneFileNamesTheFileAndTheRun()
    {
        using var dir = new TempDir();
        var spec = new GridSpec { Dataset = "mnist", Model = "mlp", Epochs = 1, Activations = ["relu"], Seeds = [0] };
        new GridRunner(spec, dir.Path, (c, f, _) => new RunResult { Epochs = [new EpochMetrics(1, 1, 1, 0.9, 1, 1, 0.01)] }).Run("test");
        string done = Path.Combine(dir.Path, "relu-default-s0", RunFolder.DoneFile);
        Assert.True(File.Exists(done));
        File.WriteAllText(done, "{\"config\": ");
        var (code, _, stderr) = AppCli.Run("plot", "--grid", dir.Path);
        output.WriteLine(stderr);
        Assert.Equal(CommandLine.Failure, code);
        AssertOneLine(stderr);
        Assert.StartsWith($"error: {done}: the done.json of run 'relu-default-s0' is corrupt (", stderr);
    }

    [SkippableFact] // 4
    public void CompareExitsNonZeroNamingTheFailedRun()
    {
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        var (code, stdout, stderr) = AppCli.Run("compare", "--activations", "relu", "--seeds", "0", "--epochs", "1", "--batch", "32",
            "--limit-train", "320", "--limit-test", "64", "--lr", "1e30", "--device", "cpu", "--data", mirror, "--out", dir.Path);
        output.WriteLine(stdout);
        output.WriteLine(stderr);
        Assert.Equal(CommandLine.Failure, code);
        Assert.Contains("1 failed", stdout);
        Assert.Equal($"error: 1 of 1 runs failed: relu-default-s0 ({Path.Combine(dir.Path, "relu-default-s0", RunFolder.FailedFile)})", stderr.TrimEnd());
    }

    /// <summary>Trains a tiny one-epoch MLP run into <paramref name="root"/>; returns its folder.</summary>
    private static string TinyRun(string mirror, string root, params string[] extra)
    {
        var (code, _, stderr) = AppCli.Run(["--device", "cpu", "--data", mirror, "--limit-train", "320", "--limit-test", "64", "--batch", "32",
            "--epochs", "1", "--out", root, .. extra]);
        Assert.True(code == 0, stderr);
        return Assert.Single(Directory.GetDirectories(root));
    }

    [SkippableFact] // 3: non-finite weights are refused on load, naming the tensor
    public void ACheckpointWithNaNWeightsIsRefusedNamingTheTensor()
    {
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        string run = TinyRun(mirror, dir.File("runs"));
        string ckpt = Path.Combine(run, "checkpoint.safetensors");
        TestData.RewriteTensor(ckpt, "fc2.weight", _ => float.NaN);
        var (code, stdout, stderr) = AppCli.Run("predictions", "--checkpoint", ckpt, "--device", "cpu", "--data", mirror, "--limit-test", "64");
        output.WriteLine(stdout + stderr);
        Assert.Equal(CommandLine.Failure, code);
        AssertOneLine(stderr);
        Assert.StartsWith($"error: {ckpt}: tensor 'fc2.weight' holds 8192 non-finite values (NaN or ±Inf; the first at index 0)", stderr);
        Assert.DoesNotContain("accuracy", stdout);
        var resumed = AppCli.Run("--device", "cpu", "--data", mirror, "--limit-train", "320", "--limit-test", "64", "--batch", "32",
            "--epochs", "2", "--resume", ckpt);
        Assert.Equal(CommandLine.Failure, resumed.Code);
        Assert.Contains("tensor 'fc2.weight' holds 8192 non-finite values", resumed.Err);
    }

    [SkippableFact] // 3: a flipped bit in the tensor data is caught by the recorded SHA-256
    public void AFlippedBitInTheWeightsIsCaught()
    {
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        string ckpt = Path.Combine(TinyRun(mirror, dir.File("runs")), "checkpoint.safetensors");
        byte[] bytes = File.ReadAllBytes(ckpt);
        bytes[^100] ^= 0x04; // a mantissa bit of some weight: still a finite number
        File.WriteAllBytes(ckpt, bytes);
        var e = Assert.Throws<CheckpointException>(() => SafeTensors.Read(ckpt));
        output.WriteLine(e.Message);
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(ckpt)}: the tensor data has SHA-256 [0-9a-f]{{64}}, but the file records [0-9a-f]{{64}}: the file is corrupt", e.Message);
    }

    [Fact] // 3: files without the hash (PyTorch's) still load
    public void AFileWithoutTheHashStillLoads()
    {
        using var dir = new TempDir();
        string path = dir.File("torch.safetensors");
        byte[] header = System.Text.Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}");
        using (var fs = File.Create(path))
        {
            fs.Write(BitConverter.GetBytes((ulong)header.Length));
            fs.Write(header);
            fs.Write(BitConverter.GetBytes(1.5f));
            fs.Write(BitConverter.GetBytes(-2f));
        }
        var content = SafeTensors.Read(path);
        Assert.Equal([1.5f, -2f], content.Tensors["w"].Data);
        SafeTensors.Write(path, [("w", [2], [1.5f, -2f])], new Dictionary<string, string> { ["k"] = "v" });
        var again = SafeTensors.Read(path);
        Assert.Equal(new Dictionary<string, string> { ["k"] = "v" }, again.Metadata); // the hash is checked, not handed on
    }
}
