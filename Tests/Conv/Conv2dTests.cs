using Activations.Engine;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.Conv;

public class Conv2dTests
{
    /// <summary>Direct 7-deep loop in double: the scalar reference of conv2d.</summary>
    internal static double[] Reference(double[] x, double[] w, double[]? b, int n, int c, int h, int wd, int cout, int k, int s, int p)
    {
        int oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1;
        var y = new double[n * cout * oh * ow];
        for (int bi = 0; bi < n; bi++)
        for (int o = 0; o < cout; o++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            double acc = b?[o] ?? 0;
            for (int ch = 0; ch < c; ch++)
            for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++)
            {
                int hh = i * s - p + u, ww = j * s - p + v;
                if (hh < 0 || hh >= h || ww < 0 || ww >= wd) continue;
                acc += x[((bi * c + ch) * h + hh) * wd + ww] * w[((o * c + ch) * k + u) * k + v];
            }
            y[((bi * cout + o) * oh + i) * ow + j] = acc;
        }
        return y;
    }

    public static TheoryData<string, int, int, int, int, int, int, int> Cases()
    {
        var data = new TheoryData<string, int, int, int, int, int, int, int>();
        foreach (var dev in new[] { "cpu", "opencl", "cuda" })
        {
            // device, batch, channels, size (odd and even), cout, kernel, stride, padding
            data.Add(dev, 1, 1, 5, 2, 3, 1, 1);
            data.Add(dev, 3, 3, 7, 4, 3, 2, 1);
            data.Add(dev, 1, 5, 6, 3, 5, 1, 2);
            data.Add(dev, 3, 1, 9, 2, 1, 2, 0);
            data.Add(dev, 1, 3, 8, 2, 5, 2, 2);
            data.Add(dev, 3, 5, 5, 3, 3, 1, 0);
        }
        return data;
    }

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
            Tolerances.AssertClose(y.ToArray(), Reference(x, w, b, n, c, size, size, cout, k, s, p), 1e-5, 1e-5, "conv2d");
        }

        GradCheck.Check(d, [x, w, b], [[n, c, size, size], [cout, c, k, k], [cout]],
            t => (t[0].Conv2d(t[1], t[2], s, p) * Tensor.FromArray(d, probe, n, cout, oh, oh)).Sum(),
            xs => Reference(xs[0], xs[1], xs[2], n, c, size, size, cout, k, s, p).Select((v, i) => v * probe[i]).Sum());
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
