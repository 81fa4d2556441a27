// Cifar10Dataset: channel statistics against a direct computation, and the real data — a per-class
// subset of the shared cifar10-jpeg.tar.gz (skipped when the archive is absent). The full-archive load
// (first decode and cached) is measured only on request: CIFAR10_FULL_LOAD=1.
using System.Diagnostics;
using Activations.Training.Data;
using Xunit.Abstractions;

namespace Activations.Tests.Data;

public sealed class Cifar10DatasetTests(ITestOutputHelper output)
{
    const string ArchiveName = "cifar10-jpeg.tar.gz";

    /// <summary>The shared archive: $DATASETS_MIRROR/cifar10-jpeg.tar.gz, else shared/datasets/ beside the repository or a folder above it.</summary>
    static string? FindSharedArchive()
    {
        string? mirror = Environment.GetEnvironmentVariable("DATASETS_MIRROR");
        if (!string.IsNullOrEmpty(mirror) && File.Exists(Path.Combine(mirror, ArchiveName))) return Path.Combine(mirror, ArchiveName);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "datasets", ArchiveName);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    [Fact]
    public void ChannelStatisticsMatchDirectComputation()
    {
        var images = new byte[4 * 3072];
        for (int i = 0; i < images.Length; i++) images[i] = (byte)(i * 7919 % 256);
        var split = new Cifar10Split(images, [1, 2, 3, 4]);
        var (mean, std) = Cifar10Dataset.ChannelStatistics(split);
        for (int c = 0; c < 3; c++)
        {
            var values = Enumerable.Range(0, 4).SelectMany(i => split.Image(i).Slice(c * 1024, 1024).ToArray()).Select(v => v / 255.0).ToArray();
            double m = values.Average();
            double s = Math.Sqrt(values.Select(v => (v - m) * (v - m)).Average());
            Assert.Equal(m, mean[c], 5);
            Assert.Equal(s, std[c], 5);
        }
    }

    [SkippableFact]
    public void SharedArchiveSubset()
    {
        string? archive = FindSharedArchive();
        Skip.If(archive == null, $"{ArchiveName} not found in $DATASETS_MIRROR or any shared/datasets/ above the test binaries");
        var clock = Stopwatch.StartNew();
        var ds = Cifar10Dataset.Load(archive!, new Cifar10LoadOptions { MaxTrainPerClass = 20, MaxTestPerClass = 10 });
        output.WriteLine($"200 + 100 images from {archive} in {clock.ElapsedMilliseconds} ms");

        Assert.Equal(200, ds.Train.Count);
        Assert.Equal(100, ds.Test.Count);
        Assert.Equal(200 * 3072, ds.Train.Images.Length);
        Assert.Equal(100 * 3072, ds.Test.Images.Length);
        Assert.All(ds.Train.ClassCounts(), n => Assert.Equal(20, n));
        Assert.All(ds.Test.ClassCounts(), n => Assert.Equal(10, n));

        // Natural images: statistics near the published ones, every image with real contrast.
        var (mean, std) = ds.TrainStatistics;
        output.WriteLine($"subset mean {string.Join(", ", mean.Select(m => m.ToString("F4")))}  std {string.Join(", ", std.Select(s => s.ToString("F4")))}");
        for (int c = 0; c < 3; c++)
        {
            Assert.InRange(mean[c], Cifar10Dataset.StandardMean[c] - 0.06f, Cifar10Dataset.StandardMean[c] + 0.06f);
            Assert.InRange(std[c], Cifar10Dataset.StandardStd[c] - 0.05f, Cifar10Dataset.StandardStd[c] + 0.05f);
        }
        for (int i = 0; i < ds.Test.Count; i++)
        {
            var image = ds.Test.Image(i);
            Assert.True(image.ToArray().Max() - image.ToArray().Min() > 30, $"test image {i} is nearly flat");
        }
    }

    [SkippableFact]
    public void FullArchiveLoadTimes()
    {
        Skip.IfNot(Environment.GetEnvironmentVariable("CIFAR10_FULL_LOAD") == "1", "set CIFAR10_FULL_LOAD=1 to decode all 60,000 images and time it");
        string? archive = FindSharedArchive();
        Skip.If(archive == null, $"{ArchiveName} not found");
        string data = Directory.CreateTempSubdirectory("cifar-full-").FullName;
        try
        {
            // Wall time depends on what else the machine runs; process CPU time (this test runs alone
            // under its filter) does not, so both are printed.
            var options = new Cifar10LoadOptions { CacheDirectory = data, Log = output.WriteLine };
            var process = Process.GetCurrentProcess();
            TimeSpan Cpu()
            {
                process.Refresh();
                return process.TotalProcessorTime;
            }
            var clock = Stopwatch.StartNew();
            var cpu = Cpu();
            var first = Cifar10Dataset.Load(archive!, options);
            double firstSeconds = clock.Elapsed.TotalSeconds, firstCpu = (Cpu() - cpu).TotalSeconds;
            clock.Restart();
            cpu = Cpu();
            var cached = Cifar10Dataset.Load(archive!, options);
            double cachedSeconds = clock.Elapsed.TotalSeconds, cachedCpu = (Cpu() - cpu).TotalSeconds;
            output.WriteLine($"first load {firstSeconds:F1} s wall / {firstCpu:F1} s CPU, cached load {cachedSeconds:F2} s wall / {cachedCpu:F2} s CPU " +
                $"({Environment.ProcessorCount} cores, load average {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?")})");

            Assert.Equal(50_000, first.Train.Count);
            Assert.Equal(10_000, first.Test.Count);
            Assert.All(first.Train.ClassCounts(), n => Assert.Equal(5000, n));
            Assert.All(first.Test.ClassCounts(), n => Assert.Equal(1000, n));
            Assert.Equal(first.Train.Images, cached.Train.Images);
            Assert.Equal(first.Test.Labels, cached.Test.Labels);

            var (mean, std) = first.TrainStatistics;
            output.WriteLine($"train mean {string.Join(", ", mean.Select(m => m.ToString("F4")))}  std {string.Join(", ", std.Select(s => s.ToString("F4")))}");

            var aug = new Cifar10Augmentation(mean, std);
            var order = Cifar10Augmentation.EpochOrder(1, 0, first.Train.Count);
            var batch = new float[500 * 3072];
            clock.Restart();
            cpu = Cpu();
            for (int b = 0; b < order.Length; b += 500) aug.Fill(first.Train, order.AsSpan(b, 500), batch, 1, 0, augment: true);
            double augCpu = (Cpu() - cpu).TotalSeconds;
            output.WriteLine($"one augmented epoch (50,000 images, one thread) in {clock.Elapsed.TotalSeconds:F2} s wall / {augCpu:F2} s CPU: " +
                $"{50_000 / clock.Elapsed.TotalSeconds:F0} images/s wall, {50_000 / augCpu:F0} images/s per CPU-second");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
