using Activations.Engine;
using Activations.Kernels.Tensor;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.Engine;

public class NumericsTests
{
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void CountNonFiniteMatchesReference(string device)
    {
        var d = TestDevices.Get(device);
        foreach (int n in new[] { 0, 1, 7, 4096, 4097, 100_003 })
        {
            var host = CounterRng.Uniform(3, n, -1e30f, 1e30f);
            for (int i = 0; i < n; i += 97) host[i] = (i / 97 % 3) switch { 0 => float.NaN, 1 => float.PositiveInfinity, _ => float.NegativeInfinity };
            if (n > 0) host[n - 1] = float.NaN;
            using var t = Tensor.FromArray(d, host, n);
            Assert.Equal(CheckKernels.NonFiniteReference(host), Numerics.CountNonFinite(t));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void FirstNonFiniteNamesTheParameter(string device)
    {
        var d = TestDevices.Get(device);
        using var a = Tensor.FromArray(d, [1f, 2f], 2);
        using var b = Tensor.FromArray(d, [1f, float.MaxValue], 2);
        using var c = Tensor.FromArray(d, [float.NaN, 0f], 2);
        var doubled = b * 2f; // overflows to +Inf
        Assert.Null(Numerics.FirstNonFinite([("a", a), ("b", b)], gradients: false));
        Assert.Equal("b2", Numerics.FirstNonFinite([("a", a), ("b2", doubled), ("c", c)], gradients: false));
        doubled.Dispose();
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ClipGradNormScalesToMaxNorm(string device)
    {
        var d = TestDevices.Get(device);
        using var p = Tensor.FromArray(d, [3f, 4f], 2);
        p.RequiresGrad = true;
        using var q = Tensor.FromArray(d, [12f], 1);
        q.RequiresGrad = true;
        using (var scope = TensorScope.Begin())
        {
            var loss = (p * p).Sum() * 0.5f + (q * q).Sum() * 0.5f; // grads = values: norm 13
            loss.Backward();
        }
        double before = Numerics.ClipGradNorm([p, q], 1.3);
        Assert.Equal(13.0, before, 4);
        Assert.Equal(1.3, Numerics.GradNorm([p, q]), 4);
        Expect.Close(p.Grad!.ToArray(), [0.3, 0.4], 1e-4, 1e-6, "clipped grad");
        Assert.Throws<ArgumentOutOfRangeException>(() => Numerics.ClipGradNorm([p], 0));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void WatchRecordsTheFirstNonFiniteStep(string device)
    {
        var d = TestDevices.Get(device);
        using var watch = new NonFiniteWatch(d);
        float[] losses = [2.3f, 1.1f, float.PositiveInfinity, float.NaN, 0.5f];
        int expected = -1;
        for (int step = 0; step < losses.Length; step++)
        {
            using var loss = Tensor.FromArray(d, [losses[step]], 1);
            watch.Observe(loss, 100 + step);
            expected = CheckKernels.MarkNonFiniteReference(losses[step], expected, 100 + step);
            Assert.Equal(expected < 0 ? null : expected, watch.FirstBadStep);
        }
        Assert.Equal(102, watch.FirstBadStep);
        watch.Reset();
        Assert.Null(watch.FirstBadStep);
    }
}
