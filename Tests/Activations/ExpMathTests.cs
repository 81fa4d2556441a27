// ExpMath (e^x, e^x − 1, tanh, logistic in plain float arithmetic) against double precision: on the
// host over dense sweeps, and on every device through the activation kernels that use it (ELU with
// α = 1 is e^x − 1 for x < 0, tanh and sigmoid are themselves). Errors are counted in u = 2⁻²⁴, the
// unit roundoff of float (a correctly rounded result errs by at most 1 u relative); specials exactly.
using Activations.Engine;
using Activations.Kernels;
using Activations.Kernels.Activations;
using Activations.Tests.Infrastructure;
using Xunit.Abstractions;
using static Activations.Tests.Infrastructure.ActivationHarness;

namespace Activations.Tests.Activations;

public class ExpMathTests(ITestOutputHelper output)
{
    private const double Ulp = 1.0 / (1 << 24); // u = 2⁻²⁴

    /// <summary>x from −90 to 0: a uniform grid plus a geometric one that reaches down to 1e-30.</summary>
    private static float[] Sweep()
    {
        var xs = new List<float>();
        for (int i = 0; i <= 400_000; i++) xs.Add(-90f * i / 400_000);
        for (double v = 1e-30; v < 90; v *= 1.0001) xs.Add((float)-v);
        return xs.ToArray();
    }

    private static double RelErr(double got, double want) => want == 0 ? Math.Abs(got) : Math.Abs(got - want) / Math.Abs(want);

    [Fact]
    public void HostAccuracyOverTheWholeNegativeRange()
    {
        double expErr = 0, expm1Err = 0, tanhRelErr = 0, tanhAbsErr = 0, logErr = 0;
        foreach (float x in Sweep())
        {
            double xd = x;
            if (x > ExpMath.FlushBelow)
            {
                expErr = Math.Max(expErr, RelErr(ExpMath.ExpNonPositive(x), Math.Exp(xd)));
                expm1Err = Math.Max(expm1Err, RelErr(ExpMath.Expm1NonPositive(x), Expm1(xd)));
                logErr = Math.Max(logErr, RelErr(ExpMath.Logistic(x), 1 / (1 + Math.Exp(-xd))));
            }
            double t = Math.Tanh(xd);
            if (x >= -0.5f) tanhRelErr = Math.Max(tanhRelErr, RelErr(ExpMath.TanhNonPositive(x), t));
            else tanhAbsErr = Math.Max(tanhAbsErr, Math.Abs(ExpMath.TanhNonPositive(x) - t));
            double tp = ExpMath.Tanh(-x);
            Assert.True(tp == -ExpMath.Tanh(x), $"tanh is odd: tanh({-x}) = {tp}, tanh({x}) = {ExpMath.Tanh(x)}");
        }
        // Measured: e^x 1.5, e^x − 1 1.3, logistic 2.6 u relative; tanh 2.6 u relative on [−0.5, 0]
        // and 1.0 u absolute (of 1) below, where backward passes form 1 − t² from the output.
        string summary = $"host: e^x {expErr / Ulp:F2} u, e^x − 1 {expm1Err / Ulp:F2} u, logistic {logErr / Ulp:F2} u, "
            + $"tanh on [−0.5, 0] {tanhRelErr / Ulp:F2} u relative, below −0.5 {tanhAbsErr / Ulp:F2} u absolute";
        output.WriteLine(summary);
        Assert.True(expErr <= 2 * Ulp && expm1Err <= 2 * Ulp && logErr <= 4 * Ulp && tanhRelErr <= 4 * Ulp && tanhAbsErr <= 2 * Ulp, summary);
    }

    /// <summary>
    /// erf on the host against the double series/continued fraction, which is itself checked at known
    /// values: erf(0.5), erf(1), erf(2), erf(3) to 15 digits. Float erf: Taylor series below |x| = 1,
    /// Abramowitz–Stegun 7.1.26 above (absolute error below 1.5e-7 by construction).
    /// </summary>
    [Fact]
    public void ErfAccuracy()
    {
        foreach (var (x, want) in new[] { (0.5, 0.5204998778130465), (1.0, 0.8427007929497149), (2.0, 0.9953222650189527), (3.0, 0.9999779095030014), (-1.0, -0.8427007929497149) })
            Assert.True(Math.Abs(Real64.ErfReference(x) - want) < 1e-14, $"reference erf({x}) = {Real64.ErfReference(x):R}, want {want:R}");
        double small = 0, large = 0;
        for (int i = -200_000; i <= 200_000; i++)
        {
            float x = i * 6f / 200_000;
            double want = Real64.ErfReference(x), got = ExpMath.Erf(x);
            if (Math.Abs(x) < 1) small = Math.Max(small, RelErr(got, want));
            else large = Math.Max(large, Math.Abs(got - want));
        }
        string summary = $"erf: {small / Ulp:F2} u relative below |x| = 1, {large:E2} absolute above";
        output.WriteLine(summary);
        Assert.True(small <= 4 * Ulp && large <= 2e-7, summary);
        Assert.Equal(1f, ExpMath.Erf(1e4f));
        Assert.Equal(-1f, ExpMath.Erf(-float.MaxValue));
        Assert.True(float.IsNaN(ExpMath.Erf(float.NaN)));
        Assert.Equal(0f, ExpMath.Erf(0f));
    }

    /// <summary>ln(1 + u) for u in [0, 1] (softplus and mish use it with u = e^{−|x|}), relative, down to u = 1e-30.</summary>
    [Fact]
    public void Log1pUnitAccuracy()
    {
        double err = 0;
        for (int i = 0; i <= 100_000; i++)
        {
            float u = i / 100_000f;
            err = Math.Max(err, RelErr(ExpMath.Log1pUnit(u), Real64.Log1p(u)));
        }
        for (double u = 1e-30; u < 1; u *= 1.01) err = Math.Max(err, RelErr(ExpMath.Log1pUnit((float)u), Real64.Log1p((float)u)));
        output.WriteLine($"ln(1 + u): {err / Ulp:F2} u relative");
        Assert.True(err <= 4 * Ulp, $"ln(1 + u): {err / Ulp:F2} u relative");
    }

    [Fact]
    public void HostSpecialValues()
    {
        Assert.Equal(0f, ExpMath.Expm1NonPositive(0f));
        Assert.Equal(1f, ExpMath.ExpNonPositive(0f));
        Assert.Equal(0f, ExpMath.TanhNonPositive(0f));
        Assert.Equal(0.5f, ExpMath.Logistic(0f));
        foreach (float x in new[] { -87f, -88f, -1e4f, -float.MaxValue, float.NegativeInfinity })
        {
            Assert.Equal(0f, ExpMath.ExpNonPositive(x));
            Assert.Equal(-1f, ExpMath.Expm1NonPositive(x));
            Assert.Equal(-1f, ExpMath.TanhNonPositive(x));
            Assert.Equal(1f, ExpMath.Tanh(-x));
            Assert.Equal(0f, ExpMath.Logistic(x));
            Assert.Equal(1f, ExpMath.Logistic(-x));
        }
        // Just above the flush point, e^x is still a normal float.
        Assert.True(ExpMath.ExpNonPositive(-86.9f) > 1e-38f);
        // Positive arguments of the non-positive functions are taken as 0, never overflow.
        Assert.Equal(1f, ExpMath.ExpNonPositive(100f));
        Assert.Equal(0f, ExpMath.Expm1NonPositive(float.PositiveInfinity));
        foreach (var f in new Func<float, float>[] { ExpMath.ExpNonPositive, ExpMath.Expm1NonPositive, ExpMath.TanhNonPositive, ExpMath.Tanh, ExpMath.Logistic })
            Assert.True(float.IsNaN(f(float.NaN)));
        Assert.True(ExpMath.IsNaN(float.NaN) && !ExpMath.IsNaN(float.PositiveInfinity) && !ExpMath.IsNaN(-0f));
    }

    /// <summary>The same functions compiled for each accelerator, through the kernels that use them.</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void DeviceAccuracyMatchesTheHost(string device)
    {
        var d = TestDevices.Get(device);
        // CUDA may contract a·b + c into one rounding; a few ulps either way.
        double slack = d.Kind == BackendKind.Cuda ? 1 : 0;
        var x = Sweep().Where(v => v > ExpMath.FlushBelow).ToArray();
        var elu = Evaluate(d, "elu", x, 1f);
        var tanh = Evaluate(d, "tanh", x, 1f);
        var sigmoid = Evaluate(d, "sigmoid", x, 1f);
        double expm1Err = 0, tanhErr = 0, logErr = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double xd = x[i];
            if (x[i] < 0) expm1Err = Math.Max(expm1Err, RelErr(elu[i].Y, Expm1(xd)));
            double t = Math.Tanh(xd);
            tanhErr = Math.Max(tanhErr, x[i] >= -0.5f ? RelErr(tanh[i].Y, t) : Math.Abs(tanh[i].Y - t));
            logErr = Math.Max(logErr, RelErr(sigmoid[i].Y, 1 / (1 + Math.Exp(-xd))));
        }
        string summary = $"{d.Name}: e^x − 1 {expm1Err / Ulp:F2} u, tanh {tanhErr / Ulp:F2} u, logistic {logErr / Ulp:F2} u";
        output.WriteLine(summary);
        Assert.True(expm1Err <= (2 + slack) * Ulp && tanhErr <= (4 + slack) * Ulp && logErr <= (4 + slack) * Ulp, summary);

        float[] specials = [0f, -0f, -86.9f, -87f, -88f, -1e4f, -float.MaxValue, float.NegativeInfinity, float.NaN];
        var es = Evaluate(d, "elu", specials, 1f);
        var ts = Evaluate(d, "tanh", specials, 1f);
        for (int i = 0; i < specials.Length; i++)
        {
            float want = float.IsNaN(specials[i]) ? float.NaN : ExpMath.Expm1NonPositive(specials[i]);
            float wantT = ExpMath.Tanh(specials[i]);
            if (specials[i] >= 0 || float.IsNaN(specials[i])) want = specials[i]; // ELU's identity branch
            Assert.True(want.Equals(es[i].Y) || Math.Abs(es[i].Y - want) <= slack * Ulp, $"elu({specials[i]}) on {d.Name}: {es[i].Y}, host {want}");
            Assert.True(wantT.Equals(ts[i].Y) || Math.Abs(ts[i].Y - wantT) <= slack * Ulp, $"tanh({specials[i]}) on {d.Name}: {ts[i].Y}, host {wantT}");
        }
    }

    /// <summary>e^x − 1 in double without cancellation near 0 (a series there, Math.Exp elsewhere).</summary>
    private static double Expm1(double x)
    {
        if (Math.Abs(x) > 1e-3) return Math.Exp(x) - 1;
        double term = x, sum = x;
        for (int k = 2; k < 10; k++) { term *= x / k; sum += term; }
        return sum;
    }
}
