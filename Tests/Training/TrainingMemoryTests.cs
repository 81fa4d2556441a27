// Memory across a whole training run (issue: reliability, resources): device memory (the buffer
// pool's counters and the int buffers) and host memory stay flat from epoch to epoch; disposing a
// trainer returns every buffer; further identical runs in the same process allocate nothing new on
// the device and keep nothing on the host.
using Activations.Engine;
using Activations.Tests.Infrastructure;
using Activations.Training.Data;
using Activations.Training.Checkpoints;
using Activations.Training.Run;
using Xunit.Abstractions;

namespace Activations.Tests.Training;

public class TrainingMemoryTests(ITestOutputHelper output)
{
    /// <summary>Records device and host memory as each epoch starts.</summary>
    private sealed class Recorder(Device d) : ITrainingProgress
    {
        public readonly Dictionary<int, (BufferPoolStats Device, int IntBuffers, long Host)> AtStart = new();
        public bool WantsLoss => false;

        public void RunEpoch(int epoch, int epochs, int steps, Action<Action<int, Func<float>?>> body)
        {
            AtStart[epoch] = (d.MemoryStats, d.LiveIntBuffers, GC.GetTotalMemory(forceFullCollection: true));
            body((_, _) => { });
        }
    }

    [SkippableTheory]
    [InlineData("cpu", "mlp")]
    [InlineData("cpu", "cnn")]
    [InlineData("opencl", "mlp")]
    [InlineData("opencl", "cnn")]
    [InlineData("cuda", "cnn")]
    public void FlatAcrossEpochsAndRunsAndReleasedOnDispose(string device, string model)
    {
        string key = TestDevices.Get(device).Key;  // skips when absent
        using var d = Device.Create(key);          // a private device: its counters are ours alone
        var data = TestData.Mnist(limitTrain: model == "cnn" ? 192 : 640, limitTest: 100);
        var config = new RunConfig { Model = model, Epochs = 4, Batch = 32, Activation = "exlu", Alpha = 0.2f, Device = key };
        long? allocationsAfterFirstRun = null, hostAfterLastRun = null;
        for (int runIndex = 0; runIndex < 3; runIndex++)
        {
            var rec = new Recorder(d);
            using (var dir = new TempDir())
            using (var trainer = new Trainer(config, d, data.Train, data.Test, TextWriter.Null, rec))
                trainer.Train(RunFolder.Create(dir.Path, config, DateTime.Now), ResumePoint.Start);
            var (e2, e4) = (rec.AtStart[2], rec.AtStart[4]);
            output.WriteLine($"run {runIndex + 1}: epoch 2 start {e2.Device}, {e2.IntBuffers} int buffers, host {e2.Host >> 10} KiB; epoch 4 start {e4.Device}, host {e4.Host >> 10} KiB");
            Assert.Equal(e2.Device.BytesInUse, e4.Device.BytesInUse);
            Assert.Equal(e2.Device.PeakBytes, e4.Device.PeakBytes);
            Assert.Equal(e2.Device.Allocations, e4.Device.Allocations);
            Assert.Equal(e2.IntBuffers, e4.IntBuffers);
            // A leak is growth. Host memory can fall between epochs (CI once saw 45.8 -> 37.4 MB on the
            // CPU accelerator with every device counter unchanged), e.g. when runtime pools trim idle buffers.
            Assert.True(e4.Host - e2.Host < 1 << 20, $"host memory grew from {e2.Host} to {e4.Host} bytes between epochs 2 and 4");

            var after = d.MemoryStats;
            Assert.Equal(0, after.BytesInUse);
            Assert.Equal(0, d.LiveIntBuffers);
            if (allocationsAfterFirstRun is long first)
                Assert.Equal(first, after.Allocations); // the second run reused the pool: nothing new
            allocationsAfterFirstRun = after.Allocations;
            // Host memory steps up once after run 1 (by about 2 MB here), then stays within kilobytes
            // from run to run; a leaked copy of the CNN's weights would add 1.7 MB per run.
            if (runIndex == 2 && hostAfterLastRun is long host2)
                Assert.True(e4.Host - host2 < 1 << 20, $"host memory at epoch 4 grew from {host2} bytes in run 2 to {e4.Host} in run 3");
            hostAfterLastRun = e4.Host;
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void AnImpossibleAllocationSaysHowMuchAndSuggestsASmallerBatch(string device)
    {
        string key = TestDevices.Get(device).Key;
        using var d = Device.Create(key);
        long free = d.Accelerator.MemorySize;
        // Twice the device's memory (CPU accelerator: host memory), capped so the length fits an int.
        int elements = (int)Math.Min(int.MaxValue - 64, Math.Max(free / 2, 1L << 30));
        var e = Record.Exception(() => { using var t = Tensor.Empty(d, elements, 1); });
        output.WriteLine(e?.Message ?? "allocated");
        Skip.If(e is null, $"{key} allocated {(long)elements * 4 >> 20} MiB (memory overcommitted): nothing to report");
        var oom = Assert.IsType<DeviceOutOfMemoryException>(e);
        Assert.Contains("asked for", oom.Message);
        Assert.Contains("free of", oom.Message);
        Assert.Contains("smaller --batch", oom.Message);
    }
}
