// Seeded random tensors: the same seed gives bit-identical values on every accelerator, different
// seeds differ, and the distributions have the right moments (checked on 100k samples, with the
// device's own reductions as well as on the host).
using Activations.Engine;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.Engine;

public class RandomTests
{
    private const int N = 100_000;

    /// <summary>Uniform and Normal on each device equal the CPU accelerator's (and the host generator's), bit for bit.</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void SameSeedGivesIdenticalValuesOnEveryDevice(string device)
    {
        var d = TestDevices.Get(device);
        var cpu = TestDevices.Get("cpu");
        using var scope = TensorScope.Begin();
        var shape = new Shape(37, 29);
        var u = Tensor.Uniform(d, shape, -0.5f, 2f, 42).ToArray();
        var n = Tensor.Normal(d, shape, 1f, 0.3f, 42).ToArray();
        Assert.Equal(Tensor.Uniform(cpu, shape, -0.5f, 2f, 42).ToArray(), u);
        Assert.Equal(Tensor.Normal(cpu, shape, 1f, 0.3f, 42).ToArray(), n);
        Assert.Equal(CounterRng.Uniform(42, shape.Length, -0.5f, 2f), u);
        Assert.Equal(CounterRng.Normal(42, shape.Length, 1f, 0.3f), n);
        Assert.Equal(shape, Tensor.Uniform(d, shape, 0f, 1f, 1).Shape);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void DifferentSeedsDiffer(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var shape = new Shape(1000);
        foreach (var make in new Func<ulong, Tensor>[] { s => Tensor.Uniform(d, shape, 0f, 1f, s), s => Tensor.Normal(d, shape, 0f, 1f, s) })
        {
            var a = make(1).ToArray();
            var b = make(2).ToArray();
            var c = make(1UL << 40).ToArray();
            Assert.Equal(a, make(1).ToArray());
            // Independent streams: coincidences at the same index are (almost) never expected.
            Assert.True(a.Zip(b).Count(p => p.First == p.Second) <= 1, "seeds 1 and 2 give the same values");
            Assert.True(a.Zip(c).Count(p => p.First == p.Second) <= 1, "seeds 1 and 2^40 give the same values");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void UniformHasTheRightRangeAndMoments(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        const float low = -2f, high = 3f;
        var t = Tensor.Uniform(d, new Shape(N), low, high, 7);
        var x = t.ToArray();
        Assert.All(x, v => Assert.True(v >= low && v < high, $"{v} outside [{low}, {high})"));
        double mean = x.Average(v => (double)v);
        double variance = x.Average(v => (v - mean) * (v - mean));
        // Standard error of the mean: 5/√12/√N ≈ 0.0046; allow 5 of them.
        Assert.InRange(mean, 0.5 - 0.023, 0.5 + 0.023);
        Assert.InRange(variance, 25.0 / 12 * 0.98, 25.0 / 12 * 1.02);
        Assert.Equal(mean, t.Mean().Item(), 1e-4);
        // Every tenth of the range gets about a tenth of the samples.
        var bins = new int[10];
        foreach (var v in x) bins[Math.Min(9, (int)((v - low) / (high - low) * 10))]++;
        Assert.All(bins, b => Assert.InRange(b, N / 10 - 600, N / 10 + 600));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void NormalHasTheRightMeanAndStd(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        const float mu = 1.5f, sigma = 0.8f;
        var t = Tensor.Normal(d, new Shape(N), mu, sigma, 11);
        var x = t.ToArray();
        double mean = x.Average(v => (double)v);
        double std = Math.Sqrt(x.Average(v => (v - mean) * (v - mean)));
        // Standard errors: σ/√N ≈ 0.0025 for the mean, σ/√(2N) ≈ 0.0018 for the std; allow 5 of them.
        Assert.InRange(mean, mu - 0.013, mu + 0.013);
        Assert.InRange(std, sigma - 0.009, sigma + 0.009);
        // The same moments computed on the device.
        Assert.Equal(mean, t.Mean().Item(), 1e-4);
        Assert.Equal(std, Math.Sqrt((t - (float)mean).Square().Mean().Item()), 1e-4);
        // Shape, not just moments: 68.27% within 1σ, 95.45% within 2σ, all finite.
        Assert.All(x, v => Assert.True(float.IsFinite(v)));
        Assert.InRange(x.Count(v => Math.Abs(v - mu) < sigma) / (double)N, 0.6827 - 0.008, 0.6827 + 0.008);
        Assert.InRange(x.Count(v => Math.Abs(v - mu) < 2 * sigma) / (double)N, 0.9545 - 0.004, 0.9545 + 0.004);
    }

    [Fact]
    public void PermutationIsASeededPermutation()
    {
        var p = CounterRng.Permutation(5, 1000);
        Assert.Equal(Enumerable.Range(0, 1000), p.Order());
        Assert.Equal(p, CounterRng.Permutation(5, 1000));
        Assert.NotEqual(p, CounterRng.Permutation(6, 1000));
        Assert.Empty(CounterRng.Permutation(1, 0));
    }
}
