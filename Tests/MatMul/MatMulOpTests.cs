// MatMul and Linear as autograd ops: values and gradients against finite differences of a double
// reference, for every layout; error messages that name both shapes.
using Activations.Engine;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.MatMul;

public class MatMulOpTests
{
    private static double[] Data(ulong seed, int n) => CounterRng.Uniform(seed, n, -1f, 1f).Select(v => (double)v).ToArray();

    /// <summary>op(A)·op(B) in double, A stored (M, K) or (K, M), B stored (K, N) or (N, K).</summary>
    private static double[] Product(double[] a, double[] b, int m, int n, int k, bool ta, bool tb)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++)
                    c[i * n + j] += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
        return c;
    }

    /// <summary>Checks the gradients of Σ w ⊙ op(A)·op(B) (w fixed, so every output gets its own weight).</summary>
    private static void CheckMatMul(string device, bool ta, bool tb, int m = 3, int n = 4, int k = 5)
    {
        var d = TestDevices.Get(device);
        var w = Data(99, m * n);
        GradCheck.Check(d, [Data(1, m * k), Data(2, k * n), w],
            [ta ? [k, m] : [m, k], tb ? [n, k] : [k, n], [m, n]],
            t => (Tensor.MatMul(t[0], t[1], ta, tb) * t[2]).Sum(),
            x => Product(x[0], x[1], m, n, k, ta, tb).Zip(x[2], (c, wi) => c * wi).Sum(),
            requiresGrad: [true, true, false]);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void MatMulGradients(string device)
    {
        CheckMatMul(device, false, false);
        CheckMatMul(device, true, false);
        CheckMatMul(device, false, true);
        CheckMatMul(device, true, true);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void MatMulOfATensorWithItselfAccumulatesBothGradients(string device)
    {
        var d = TestDevices.Get(device);
        GradCheck.Check(d, [Data(3, 12)], [[3, 4]],
            t => Tensor.MatMul(t[0], t[0], transposeB: true).Sum(),   // Σ A·Aᵀ
            x => Product(x[0], x[0], 3, 3, 4, false, true).Sum());
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void LinearGradients(string device)
    {
        var d = TestDevices.Get(device);
        const int N = 4, In = 5, Out = 3;
        var w = Data(98, N * Out);
        double Reference(double[] x, double[] wt, double[]? b, double[] weights)
        {
            var y = Product(x, wt, N, Out, In, false, true);
            double s = 0;
            for (int i = 0; i < y.Length; i++) s += (y[i] + (b?[i % Out] ?? 0)) * weights[i];
            return s;
        }
        GradCheck.Check(d, [Data(4, N * In), Data(5, Out * In), Data(6, Out), w], [[N, In], [Out, In], [Out], [N, Out]],
            t => (Tensor.Linear(t[0], t[1], t[2]) * t[3]).Sum(),
            x => Reference(x[0], x[1], x[2], x[3]),
            requiresGrad: [true, true, true, false]);
        GradCheck.Check(d, [Data(4, N * In), Data(5, Out * In), w], [[N, In], [Out, In], [N, Out]],
            t => (Tensor.Linear(t[0], t[1], null) * t[2]).Sum(),
            x => Reference(x[0], x[1], null, x[2]),
            requiresGrad: [true, true, false]);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void LinearMatchesMatMulPlusBias(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Tensor.Uniform(d, new Shape(7, 9), -1, 1, 1);
        var w = Tensor.Uniform(d, new Shape(6, 9), -1, 1, 2);
        var b = Tensor.Uniform(d, new Shape(6), -1, 1, 3);
        var fused = Tensor.Linear(x, w, b).ToArray();
        var composed = (Tensor.MatMul(x, w, transposeB: true) + b).ToArray();
        Expect.Close(fused, composed.Select(v => (double)v).ToArray(), 1e-6, 1e-6, "linear");
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void MismatchedShapesNameBoth(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var a = Tensor.Zeros(d, 2, 3);
        var b = Tensor.Zeros(d, 4, 5);
        var e = Assert.Throws<ArgumentException>(() => Tensor.MatMul(a, b));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4, 5]", e.Message);
        var v = Tensor.Zeros(d, 3);
        Assert.Contains("2-D", Assert.Throws<ArgumentException>(() => Tensor.MatMul(a, v)).Message);
        var bias = Tensor.Zeros(d, 2);
        Assert.Contains("bias", Assert.Throws<ArgumentException>(() => Tensor.Linear(a, Tensor.Zeros(d, 4, 3), bias)).Message);
    }
}
