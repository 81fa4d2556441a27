using Activations.Kernels;
using Activations.Engine.Verification;
using Activations.Engine;
using Activations.Kernels.Conv;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.Conv;

public class Conv2dTests
{
    /// <summary>device, batch, channels, size, cout, kernel, stride, padding: the shapes `verify` runs.</summary>
    public static IEnumerable<object[]> Cases() => TestDevices.With(KernelCases.ConvShapes, s => [s.N, s.C, s.Size, s.COut, s.K, s.Stride, s.Pad]);

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesDirectReferenceAndGradientsMatchFiniteDifferences(string device, int n, int c, int size, int cout, int k, int s, int p)
    {
        var d = TestDevices.Get(device);
        int oh = (size + 2 * p - k) / s + 1;
        var x = CounterRng.Uniform(1, n * c * size * size, -1f, 1f).Select(v => (double)v).ToArray();
        var w = CounterRng.Uniform(2, cout * c * k * k, -0.5f, 0.5f).Select(v => (double)v).ToArray();
        var b = CounterRng.Uniform(3, cout, -0.5f, 0.5f).Select(v => (double)v).ToArray();
        var probe = CounterRng.Uniform(4, n * cout * oh * oh, -1f, 1f);

        using (var scope = TensorScope.Begin())
        {
            var y = Tensor.FromArray(d, Array.ConvertAll(x, v => (float)v), n, c, size, size)
                .Conv2d(Tensor.FromArray(d, Array.ConvertAll(w, v => (float)v), cout, c, k, k),
                        Tensor.FromArray(d, Array.ConvertAll(b, v => (float)v), cout), s, p);
            Assert.Equal(new Shape(n, cout, oh, oh), y.Shape);
            Expect.Close(y.ToArray(), ConvReference.Conv2d(x, w, b, n, c, size, size, cout, k, s, p), Tolerances.ShortSumRel, Tolerances.ShortSumAbs, "conv2d");
        }

        GradCheck.Check(d, [x, w, b], [[n, c, size, size], [cout, c, k, k], [cout]],
            t => (t[0].Conv2d(t[1], t[2], s, p) * Tensor.FromArray(d, probe, n, cout, oh, oh)).Sum(),
            xs => ConvReference.Conv2d(xs[0], xs[1], xs[2], n, c, size, size, cout, k, s, p).Select((v, i) => v * probe[i]).Sum());
    }

    /// <summary>device, and a shape the direct kernels take.</summary>
    public static IEnumerable<object[]> DirectCases() => TestDevices.With(
        KernelCases.ConvShapes.Where(s => ConvDirectKernels.Takes(new ConvGeometry(s.N, s.C, s.Size, s.Size, s.K, s.K, s.Stride, s.Pad))),
        s => [s.N, s.C, s.Size, s.COut, s.K]);

    [SkippableTheory]
    [MemberData(nameof(DirectCases))]
    public void DirectKernelsMatchReference(string device, int n, int c, int size, int cout, int k)
    {
        Assert.Null(KernelCases.ConvDirect(TestDevices.Get(device), new ConvShape(n, c, size, cout, k, 1, 0)));
        var direct = TestDevices.Get(device).Kernels.Get<ConvDirectKernels>();
        Assert.Throws<ArgumentException>(() => direct.Forward(default, default, default, default, new ConvGeometry(1, 1, 9, 9, 3, 3, 1, 1), 1));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void BadShapesGetClearErrors(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Tensor.Zeros(d, 2, 3, 8, 8);
        var e = Assert.Throws<ArgumentException>(() => x.Conv2d(Tensor.Zeros(d, 4, 2, 3, 3), null));
        Assert.Contains("3 channels", e.Message);
        Assert.Throws<ArgumentException>(() => x.Conv2d(Tensor.Zeros(d, 4, 3, 9, 9), null));
        Assert.Throws<ArgumentException>(() => x.Conv2d(Tensor.Zeros(d, 4, 3, 3, 3), Tensor.Zeros(d, 5)));
        Assert.Throws<ArgumentException>(() => x.Conv2d(Tensor.Zeros(d, 4, 3, 3, 3), null, stride: 0));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(d, 3, 8, 8).Conv2d(Tensor.Zeros(d, 4, 3, 3, 3), null));
    }
}
