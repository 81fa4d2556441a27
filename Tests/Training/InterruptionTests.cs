// Interruptions and numerical faults (issue: reliability).
//   - A run stopped after any step (in-process cancellation, or SIGINT/SIGTERM/SIGHUP sent to a real
//     process) writes a mid-epoch checkpoint; resuming it gives exactly the losses, accuracies and
//     parameters of the uninterrupted run.
//   - A NaN stops training with exit code 3, naming the step and the first layer, and the last good
//     checkpoint is left as it was.
//   - --clip-grad-norm bounds the update of a plain SGD step by lr × max norm.
using System.Diagnostics;
using System.Text.RegularExpressions;
using Activations.Engine;
using Activations.Tests.Infrastructure;
using Activations.Training.Checkpoints;
using Activations.Training.Cli;
using Activations.Training.Data;
using Activations.Training.Run;
using Xunit.Abstractions;

namespace Activations.Tests.Training;

public class InterruptionTests(ITestOutputHelper output)
{
    /// <summary>Cancels the token once epoch <c>epoch</c> has reported <c>step</c> steps done.</summary>
    private sealed class CancelAt(CancellationTokenSource cts, int epoch, int step) : ITrainingProgress
    {
        public bool WantsLoss => false;

        public void RunEpoch(int e, int epochs, int steps, Action<Action<int, Func<float>?>> body) =>
            body((done, _) => { if (e == epoch && done == step) cts.Cancel(); });
    }

    private static MnistDataset Data() =>
        TestData.Mnist(limitTrain: 640, limitTest: 200);

    private static RunConfig Config(string device) => new()
    {
        Epochs = 2, Batch = 32, Lr = 0.02f, Momentum = 0.9f, Activation = "talu", Alpha = 0.5f, Seed = 5, Device = device,
    };

    private static float[][] Parameters(Trainer t) => t.Model.Parameters().Select(p => p.ToArray()).ToArray();

    public static TheoryData<string, int, int> StopPoints()
    {
        var data = new TheoryData<string, int, int>();
        foreach (string key in TestDevices.Keys)
        {
            data.Add(key, 1, 7);   // mid-epoch
            data.Add(key, 2, 20);  // after the last step of the last epoch, before its evaluation
        }
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(StopPoints))]
    public void InterruptedRunResumesBitForBit(string device, int stopEpoch, int stopStep)
    {
        var d = TestDevices.Get(device);
        var data = Data();
        var config = Config(device);
        using var dirA = new TempDir();
        using var dirB = new TempDir();

        using var whole = new Trainer(config, d, data.Train, data.Test, TextWriter.Null, new NoProgress());
        Assert.Equal(20, whole.StepsPerEpoch);
        var expected = whole.Train(RunFolder.Create(dirA.Path, config, DateTime.Now), ResumePoint.Start);
        var expectedParams = Parameters(whole);

        var run = RunFolder.Create(dirB.Path, config, DateTime.Now);
        using (var cts = new CancellationTokenSource())
        using (var stopped = new Trainer(config, d, data.Train, data.Test, TextWriter.Null, new CancelAt(cts, stopEpoch, stopStep)))
        {
            var e = Assert.Throws<TrainingInterruptedException>(() => stopped.Train(run, ResumePoint.Start, cts.Token));
            Assert.Equal(run.Checkpoint, e.Checkpoint);
            Assert.Contains($"after step {stopStep} of 20", e.Message);
        }
        var meta = SafeTensors.Read(run.Checkpoint).Metadata;
        Assert.Equal((stopEpoch - 1).ToString(), meta["epoch"]);
        Assert.Equal(stopStep.ToString(), meta["step_in_epoch"]);

        using var resumed = new Trainer(config, d, data.Train, data.Test, TextWriter.Null, new NoProgress());
        var point = resumed.Resume(run.Checkpoint);
        Assert.Equal((stopEpoch - 1, stopStep), (point.Epoch, point.StepInEpoch));
        var folder = RunFolder.Continue(run.Path, point.Epoch);
        resumed.Train(folder, point);

        Assert.Equal(expected.Select(m => (m.Epoch, m.TrainLoss, m.TestLoss, m.TestAccuracy)),
                     folder.Metrics.Select(m => (m.Epoch, m.TrainLoss, m.TestLoss, m.TestAccuracy)));
        var got = Parameters(resumed);
        for (int i = 0; i < got.Length; i++) Assert.Equal(expectedParams[i], got[i]);
        output.WriteLine($"{device}: stopped at epoch {stopEpoch} step {stopStep}; final train loss {expected[^1].TrainLoss:R} on both");
    }

    /// <summary>SIGTERM and SIGINT on the CPU accelerator; SIGHUP on every accelerator (the OpenCL runtime once took it over on all of them).</summary>
    public static TheoryData<string, int, string> Signals()
    {
        var data = new TheoryData<string, int, string> { { "TERM", 143, "cpu" }, { "INT", 130, "cpu" } };
        foreach (string key in TestDevices.Keys) data.Add("HUP", 129, key);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Signals))]
    public void RealProcessStoppedBySignalResumesWithTheSameLosses(string signal, int exitCode, string device)
    {
        Skip.If(OperatingSystem.IsWindows(), "POSIX signals");
        Skip.If(InheritsIgnored(signal == "INT" ? 2 : signal == "TERM" ? 15 : 1),
            $"SIG{signal} is ignored by this test process (a background job of a non-interactive shell), so the app inherits that and rightly keeps ignoring it");
        TestDevices.Get(device);
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        string interrupted = Path.Combine(dir.Path, "interrupted"), whole = Path.Combine(dir.Path, "whole");
        string[] common = ["train", "--device", device, "--data", mirror, "--limit-train", "6400", "--limit-test", "500", "--batch", "16",
            "--epochs", device == "cpu" ? "2" : "20", "--activation", "exlu", "--alpha", "0.2", "--seed", "1"];

        // The real app, as a user runs it; stopped by a signal soon after training starts (OpenCL runs an
        // epoch of these 6,400 images in under half a second, so it gets enough epochs to be still training).
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "activations.dll"));
        foreach (var a in common.Append("--out").Append(interrupted)) psi.ArgumentList.Add(a);
        using var app = Process.Start(psi)!;
        var stdout = new System.Text.StringBuilder();
        var stderr = new System.Text.StringBuilder();
        using var started = new ManualResetEventSlim();
        app.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout) stdout.AppendLine(e.Data);
            if (e.Data.StartsWith("run folder:")) started.Set();
        };
        app.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        app.BeginOutputReadLine();
        app.BeginErrorReadLine();
        Assert.True(started.Wait(TimeSpan.FromSeconds(120)), $"the app did not start training: {stdout}{stderr}");
        Thread.Sleep(1500);
        Assert.Equal(0, Kill(app.Id, signal switch { "TERM" => 15, "INT" => 2, _ => 1 }));
        Assert.True(app.WaitForExit(TimeSpan.FromSeconds(120)), "the app did not stop after the signal");
        app.WaitForExit();
        string text = stdout.ToString();
        output.WriteLine(text);
        output.WriteLine(stderr.ToString());
        Assert.Equal(exitCode, app.ExitCode);
        Assert.Contains("stopping after the current step", stderr.ToString());
        var m = Regex.Match(text, @"checkpoint: (\S+)");
        Assert.True(m.Success, text);
        string checkpoint = m.Groups[1].Value;
        Assert.Contains("--resume", text);

        var r = AppCli.Run([.. common, "--out", interrupted, "--resume", checkpoint]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("resumed from", r.Out);
        r = AppCli.Run([.. common, "--out", whole]);
        Assert.True(r.Code == 0, r.Err);

        var a1 = TestData.Metrics(Assert.Single(Directory.GetDirectories(interrupted)));
        var b1 = TestData.Metrics(Assert.Single(Directory.GetDirectories(whole)));
        Assert.Equal(b1.Select(x => (x.Epoch, x.TrainLoss, x.TestLoss, x.TestAccuracy)), a1.Select(x => (x.Epoch, x.TrainLoss, x.TestLoss, x.TestAccuracy)));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Whether this process ignores the signal (Linux: the SigIgn mask in /proc/self/status); a child started from it ignores it too.</summary>
    private static bool InheritsIgnored(int signal)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return false;
        string? line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("SigIgn:"));
        return line is not null && ((Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) >> (signal - 1)) & 1) == 1;
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void NaNStopsTrainingNamingStepAndLayerAndKeepsTheLastGoodCheckpoint(string device)
    {
        var d = TestDevices.Get(device);
        var data = Data();
        var config = Config(device) with { CheckEvery = 1 };
        using var dir = new TempDir();
        using var trainer = new Trainer(config, d, data.Train, data.Test, TextWriter.Null, new NoProgress());
        var run = RunFolder.Create(dir.Path, config, DateTime.Now);
        trainer.Train(run, ResumePoint.Start);
        byte[] good = File.ReadAllBytes(run.Checkpoint);

        // Resume into a third epoch with one weight of the second layer poisoned: its first loss is NaN.
        var w = trainer.Model.NamedParameters().Single(p => p.Name == "fc2.weight").Tensor.ToArray();
        w[3] = float.NaN;
        var more = config with { Epochs = 3 };
        using var again = new Trainer(more, d, data.Train, data.Test, TextWriter.Null, new NoProgress());
        again.Resume(run.Checkpoint);
        var target = again.Model.NamedParameters().Single(p => p.Name == "fc2.weight").Tensor;
        target.CopyFrom(w);
        var e = Assert.Throws<NumericalFaultException>(() => again.Train(RunFolder.Continue(run.Path, 2), new ResumePoint(2)));
        output.WriteLine(e.Message);
        Assert.Contains("the loss became NaN at step 41 (epoch 3, batch 1 of 20)", e.Message);
        Assert.Contains("first non-finite gradient: 'fc1.weight'", e.Message); // model order: fc1's gradient flows through fc2
        Assert.Contains("first non-finite parameter: 'fc2.weight'", e.Message);
        Assert.Contains(run.Checkpoint, e.Message);
        Assert.Equal(good, File.ReadAllBytes(run.Checkpoint));
    }

    [SkippableFact]
    public void ExplodingRunExitsWithCode3AndOneLine()
    {
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        var (code, stdout, stderr) = AppCli.Run("--device", "cpu", "--data", mirror, "--limit-train", "320", "--limit-test", "64",
            "--batch", "32", "--epochs", "1", "--lr", "1e30", "--check-every", "1", "--out", dir.Path);
        output.WriteLine(stderr);
        Assert.Equal(CommandLine.NumericalFault, code);
        Assert.Matches(@"^error: numerical fault: the loss became (NaN|infinite) at step \d+ \(epoch 1, batch \d+ of 10\); first non-finite", stderr);
        Assert.Contains("no checkpoint was written yet", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("epoch 1/1", stdout);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path)); // a run that never saved anything leaves no folder behind
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ClippingBoundsTheUpdateOfOneSgdStep(string device)
    {
        var d = TestDevices.Get(device);
        var mnist = Data();
        double lr = 0.5, maxNorm = 0.01;
        double Step(float? clip)
        {
            var config = new RunConfig { Epochs = 1, Batch = 32, LimitTrain = 32, Lr = (float)lr, Momentum = 0, Seed = 2, Device = device, ClipGradNorm = clip };
            var one = new ImageSplit(mnist.Train.Images[..(32 * 784)], mnist.Train.Labels[..32], 1, 28, 28, 10);
            using var t = new Trainer(config, d, one, mnist.Test, TextWriter.Null, new NoProgress());
            var before = Parameters(t);
            using var dir = new TempDir();
            t.Train(RunFolder.Create(dir.Path, config, DateTime.Now), ResumePoint.Start);
            var after = Parameters(t);
            double sq = 0;
            for (int i = 0; i < before.Length; i++)
                for (int j = 0; j < before[i].Length; j++) sq += Math.Pow((double)after[i][j] - before[i][j], 2);
            return Math.Sqrt(sq);
        }
        double unclipped = Step(null), clipped = Step((float)maxNorm);
        output.WriteLine($"‖Δθ‖ unclipped {unclipped:G4}, clipped {clipped:G4} (bound {lr * maxNorm})");
        Assert.True(unclipped > 10 * lr * maxNorm, $"the unclipped step {unclipped} is already small: the test would prove nothing");
        Assert.InRange(clipped, 0.9 * lr * maxNorm, lr * maxNorm * 1.001);
    }
}
