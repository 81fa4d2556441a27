// Batch normalisation in training and evaluation mode against a double reference and finite differences.
using Activations.Kernels;
using Activations.Engine;
using Activations.Engine.Autograd;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.Engine;

public class BatchNormTests
{
    private static double[] NormaliseReference(double[] x, int n, int c, int hw, double[] gamma, double[] beta, double eps)
    {
        var y = new double[x.Length];
        for (int ch = 0; ch < c; ch++)
        {
            double mean = 0, sq = 0;
            for (int b = 0; b < n; b++) for (int k = 0; k < hw; k++) mean += x[(b * c + ch) * hw + k];
            mean /= n * hw;
            for (int b = 0; b < n; b++) for (int k = 0; k < hw; k++) sq += Math.Pow(x[(b * c + ch) * hw + k] - mean, 2);
            double inv = 1 / Math.Sqrt(sq / (n * hw) + eps);
            for (int b = 0; b < n; b++) for (int k = 0; k < hw; k++)
                y[(b * c + ch) * hw + k] = gamma[ch] * (x[(b * c + ch) * hw + k] - mean) * inv + beta[ch];
        }
        return y;
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void BatchNormTrainingMatchesReferenceAndGradients(string device)
    {
        var d = TestDevices.Get(device);
        int n = 3, c = 2, hw = 5;
        var x = CounterRng.Normal(2, n * c * hw, 0.5f, 2f).Select(v => (double)v).ToArray();
        double[] gamma = [1.5, -0.7], beta = [0.2, 0.1];
        var wts = CounterRng.Uniform(3, n * c * hw, -1f, 1f);
        using var rm = Tensor.Zeros(d, c);
        using var rv = Tensor.Ones(d, c);
        GradCheck.Check(d, [x, gamma, beta], [[n, c, 1, hw], [c], [c]],
            t => (t[0].BatchNorm(t[1], t[2], rm, rv, training: true) * Tensor.FromArray(d, wts, n, c, 1, hw)).Sum(),
            xs => NormaliseReference(xs[0], n, c, hw, xs[1], xs[2], 1e-5).Select((v, i) => v * wts[i]).Sum(),
            h: 1e-4);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void BatchNormUpdatesRunningStatsAndEvaluatesWithThem(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(d, [1f, 2f, 3f, 4f, 10f, 20f, 30f, 40f], 4, 2); // (N = 4, C = 2)
        var gamma = Tensor.Ones(d, 2);
        var beta = Tensor.Zeros(d, 2);
        var rm = Tensor.Zeros(d, 2);
        var rv = Tensor.Ones(d, 2);
        using (GradMode.NoGrad()) x.BatchNorm(gamma, beta, rm, rv, training: true);
        // channel 0 = {1, 3, 10, 30}, channel 1 = {2, 4, 20, 40}
        double m0 = 11, m1 = 16.5;
        double v0 = new[] { 1.0, 3, 10, 30 }.Sum(v => (v - m0) * (v - m0)) / 3;
        double v1 = new[] { 2.0, 4, 20, 40 }.Sum(v => (v - m1) * (v - m1)) / 3;
        Expect.Close(rm.ToArray(), [0.1 * m0, 0.1 * m1], Tolerances.ShortSumRel, Tolerances.ShortSumAbs, "running_mean");
        Expect.Close(rv.ToArray(), [0.9 + 0.1 * v0, 0.9 + 0.1 * v1], Tolerances.ShortSumRel, Tolerances.ShortSumAbs, "running_var");
        var y = x.BatchNorm(gamma, beta, rm, rv, training: false).ToArray();
        Assert.Equal((1 - 0.1 * m0) / Math.Sqrt(0.9 + 0.1 * v0 + 1e-5), y[0], 4);
        Assert.Throws<ArgumentException>(() => x.BatchNorm(Tensor.Ones(d, 3), beta, rm, rv, training: true));
    }
}
