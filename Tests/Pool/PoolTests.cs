using Activations.Kernels;
using Activations.Engine.Verification;
using Activations.Engine;
using Activations.Kernels.Conv;
using Activations.Kernels.Pool;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.Pool;

public class PoolTests
{
    /// <summary>device, N, C, H, W, kernel, stride, pad: the shapes `verify` runs.</summary>
    public static IEnumerable<object[]> Cases() => TestDevices.With(KernelCases.PoolShapes, s => [s.N, s.C, s.H, s.W, s.K, s.Stride, s.Pad]);

    private static float[] Distinct(int n, ulong seed)
    {
        // A permutation scaled: no ties, so the max is unique and finite differences are clean.
        var p = CounterRng.Permutation(seed, n);
        return Array.ConvertAll(p, v => (v - n / 2f) * 0.37f);
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MaxPoolMatchesReferenceAndGradient(string device, int n, int c, int h, int w, int k, int s, int pad)
    {
        var d = TestDevices.Get(device);
        var g = new ConvGeometry(n, c, h, w, k, k, s, pad);
        var x = Distinct(n * c * h * w, 4);
        using (var scope = TensorScope.Begin())
        {
            var y = Tensor.FromArray(d, x, n, c, h, w).MaxPool2d(k, s, pad);
            Assert.Equal(new Shape(n, c, g.OutH, g.OutW), y.Shape);
            Expect.Close(y.ToArray(), PoolKernels.MaxReference(x, g).Y, 0, 0, "max_pool2d");
        }
        var wts = CounterRng.Uniform(5, n * c * g.OutH * g.OutW, -1f, 1f);
        GradCheck.Check(d, [Array.ConvertAll(x, v => (double)v)], [[n, c, h, w]],
            t => (t[0].MaxPool2d(k, s, pad) * Tensor.FromArray(d, wts, n, c, g.OutH, g.OutW)).Sum(),
            xs => Dot(PoolKernels.MaxReference(Array.ConvertAll(xs[0], v => (float)v), g).Y, wts), h: 1e-3);
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void AvgPoolMatchesReferenceAndGradient(string device, int n, int c, int h, int w, int k, int s, int pad)
    {
        var d = TestDevices.Get(device);
        var g = new ConvGeometry(n, c, h, w, k, k, s, pad);
        var x = CounterRng.Uniform(6, n * c * h * w, -2f, 2f);
        using (var scope = TensorScope.Begin())
        {
            var y = Tensor.FromArray(d, x, n, c, h, w).AvgPool2d(k, s, pad);
            Expect.Close(y.ToArray(), PoolKernels.AvgReference(x, g), Tolerances.ShortSumRel, Tolerances.ShortSumAbs, "avg_pool2d");
        }
        var wts = CounterRng.Uniform(7, n * c * g.OutH * g.OutW, -1f, 1f);
        GradCheck.Check(d, [Array.ConvertAll(x, v => (double)v)], [[n, c, h, w]],
            t => (t[0].AvgPool2d(k, s, pad) * Tensor.FromArray(d, wts, n, c, g.OutH, g.OutW)).Sum(),
            xs => Dot(PoolKernels.AvgReference(Array.ConvertAll(xs[0], v => (float)v), g), wts));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void MaxPoolPropagatesNaNAndRejectsBadGeometry(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(d, [1f, float.NaN, 3f, 2f], 1, 1, 2, 2);
        Assert.True(float.IsNaN(x.MaxPool2d(2).Item()));
        var e = Assert.Throws<ArgumentException>(() => x.MaxPool2d(3));
        Assert.Contains("[1, 1, 2, 2]", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(d, 4, 4).MaxPool2d(2));
        Assert.Throws<ArgumentException>(() => x.MaxPool2d(2, 2, 2));
    }

    /// <summary>
    /// The per-window 2×2 kernels and the pool's default for such windows against the
    /// reference on every accelerator: several planes with odd Ho, ties, a NaN and ±∞ in x; a row
    /// of 18 outputs (more than a group's row of 16 work-items on the CPU accelerator), one of 11 (two
    /// runs of 8 windows, overlapping), one of 5 (two runs of 4) and one of 3 (too few for a run).
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(HalvingCases))]
    public void HalvingMaxPoolMatchesReference(string device, int outW)
    {
        var d = TestDevices.Get(device);
        var g = new ConvGeometry(3, 5, 14, 2 * outW, 2, 2, 2, 0);
        Assert.True(PoolKernels.Halves(g));
        Assert.False(PoolKernels.Halves(g with { W = 11 }));
        Assert.False(PoolKernels.Halves(g with { Pad = 1 }));
        var x = CounterRng.Uniform(9, g.N * g.C * g.H * g.W, -2f, 2f);
        x[0] = x[1] = 1.5f;               // a tie: the first wins
        x[g.W + 3] = float.NaN;           // propagates
        x[5 * g.W + 6] = float.PositiveInfinity;
        x[7 * g.W + 7] = float.NegativeInfinity;
        using var scope = TensorScope.Begin();
        var kernels = d.Kernels.Get<PoolKernels>();
        var tx = Tensor.FromArray(d, x, g.N, g.C, g.H, g.W);
        var ty = Tensor.Empty(d, g.N, g.C, g.OutH, g.OutW);
        using var idx = new IntBuffer(d, ty.Length);
        var (yRef, idxRef) = PoolKernels.MaxReference(x, g);
        var dy = CounterRng.Uniform(10, ty.Length, -1f, 1f);
        var tdy = Tensor.FromArray(d, dy, g.N, g.C, g.OutH, g.OutW);
        var dx = Tensor.Empty(d, g.N, g.C, g.H, g.W);
        // The per-window kernels, then whichever the pool picks (on OpenCL CPUs, 8 windows a work-item from 8 outputs a row).
        foreach (var (name, forward, backward) in new (string, Action, Action)[]
                 {
                     ("halving", () => kernels.MaxForwardHalving(tx.View, ty.View, idx.View, g), () => kernels.MaxBackwardHalving(tdy.View, idx.View, dx.View, g)),
                     ("default", () => kernels.MaxForward(tx.View, ty.View, idx.View, g), () => kernels.MaxBackward(tdy.View, idx.View, dx.View, g)),
                 })
        {
            forward();
            Assert.Equal(idxRef, idx.ToArray());
            var y = ty.ToArray();
            for (int i = 0; i < y.Length; i++)
                Assert.True(y[i].Equals((float)yRef[i]), $"{name}: y[{i}] = {y[i]}, reference {yRef[i]}");
            dx.CopyFrom(Enumerable.Repeat(7f, x.Length).ToArray()); // overwritten
            backward();
            Expect.Close(dx.ToArray(), PoolKernels.MaxBackwardReference(dy, idxRef, g), 0, 0, $"max_pool2d backward ({name})");
        }
        Assert.Throws<ArgumentException>(() => kernels.MaxBackwardHalving(tdy.View, idx.View, dx.View, g with { Stride = 1 }));
        Assert.Throws<ArgumentException>(() => kernels.MaxForwardHalving(tx.View, ty.View, idx.View, g with { Stride = 1 }));
    }

    public static IEnumerable<object[]> HalvingCases() => TestDevices.With([3, 5, 11, 18], w => [w]);

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void GlobalAvgPoolIsMeanOverSpace(string device)
    {
        var d = TestDevices.Get(device);
        var x = CounterRng.Uniform(8, 2 * 3 * 4 * 5, -1f, 1f);
        GradCheck.Check(d, [Array.ConvertAll(x, v => (double)v)], [[2, 3, 4, 5]],
            t => (t[0].GlobalAvgPool() * Tensor.FromArray(d, [1f, 2f, 3f, -1f, -2f, -3f], 2, 3)).Sum(),
            xs =>
            {
                double total = 0;
                double[] wts = [1, 2, 3, -1, -2, -3];
                for (int p = 0; p < 6; p++) total += wts[p] * xs[0].Skip(p * 20).Take(20).Average();
                return total;
            });
    }

    private static double Dot(double[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
