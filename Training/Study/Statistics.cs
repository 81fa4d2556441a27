// The statistics a comparison of activations needs, and nothing more: mean, sample standard
// deviation, Student-t confidence intervals, Welch's and the paired t-test, and a plain-words verdict.
//
//   sd      = √(Σ(xᵢ − x̄)² / (n − 1))                      (sample, n − 1)
//   CI      = x̄ ± t_{1−(1−level)/2, n−1} · sd/√n
//   Welch   t = (x̄ₐ − x̄ᵦ)/√(sₐ²/nₐ + sᵦ²/nᵦ),
//           df = (sₐ²/nₐ + sᵦ²/nᵦ)² / ((sₐ²/nₐ)²/(nₐ−1) + (sᵦ²/nᵦ)²/(nᵦ−1))   (Welch–Satterthwaite)
//   paired  t = d̄/(s_d/√n) on dᵢ = aᵢ − bᵢ, df = n − 1
//   Cohen's d   = (x̄ₐ − x̄ᵦ)/s_p,  s_p = √(((nₐ−1)sₐ² + (nᵦ−1)sᵦ²)/(nₐ + nᵦ − 2))   (with Welch)
//   Cohen's d_z = d̄/s_d                                                         (with paired)
//   Holm    sort the m defined p ascending, p̃₍ₖ₎ = min(1, max_{j≤k} (m − j + 1)·p₍ⱼ₎)   (step-down)
//
// The t distribution: CDF(t; ν) = 1 − ½·I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0, with I the regularised
// incomplete beta function (continued fraction, modified Lentz). Quantiles by bisection on the
// CDF (monotone, so it cannot fail), which is plenty fast for a report.
namespace Activations.Training.Study;

/// <summary>A two-sample comparison of means: difference a − b, its CI, t, df and two-sided p.</summary>
/// <param name="Test">"Welch" or "paired".</param>
/// <param name="Difference">mean(a) − mean(b) (for paired: mean of aᵢ − bᵢ).</param>
/// <param name="P">Two-sided p-value; NaN when there are too few values to test.</param>
/// <param name="EffectSize">Cohen's d with the pooled sd (Welch) or d_z = d̄/s_d (paired); NaN when undefined.</param>
public sealed record TTestResult(
    string Test, int CountA, int CountB, double Difference, double StandardError,
    double T, double DegreesOfFreedom, double P, double CiLow, double CiHigh, double Level, double EffectSize)
{
    /// <summary>The Holm–Bonferroni adjusted p over the family this test was judged in; NaN until adjusted.</summary>
    public double AdjustedP { get; init; } = double.NaN;

    /// <summary>How many defined tests the Holm adjustment counted (0 when not adjusted).</summary>
    public int FamilySize { get; init; }

    /// <summary>Whether the test could be computed (enough values on both sides).</summary>
    public bool IsDefined => !double.IsNaN(P);

    public bool IsAdjusted => FamilySize > 0 && !double.IsNaN(AdjustedP);

    /// <summary>The p the verdict rests on: the adjusted one once the test is part of a family, else the raw one.</summary>
    public double DecisionP => IsAdjusted ? AdjustedP : P;

    /// <summary>The deciding p &lt; 1 − level: the difference is significant at that level.</summary>
    public bool IsSignificant => IsDefined && DecisionP < 1 - Level;
}

/// <summary>Descriptive statistics of one sample.</summary>
/// <param name="Sd">Sample standard deviation (n − 1); NaN for n &lt; 2.</param>
/// <param name="CiLow">Lower end of the t confidence interval of the mean; NaN for n &lt; 2.</param>
public sealed record SampleSummary(int N, double Mean, double Sd, double CiLow, double CiHigh, double Min, double Max, double Level)
{
    public double CiHalfWidth => (CiHigh - CiLow) / 2;
}

public static class Statistics
{
    public const double DefaultLevel = 0.95;

    public static double Mean(IReadOnlyList<double> x)
    {
        if (x.Count == 0) return double.NaN;
        double s = 0;
        foreach (double v in x) s += v;
        return s / x.Count;
    }

    /// <summary>Sample variance with n − 1 (two-pass, so large offsets do not cancel); NaN for n &lt; 2.</summary>
    public static double Variance(IReadOnlyList<double> x)
    {
        if (x.Count < 2) return double.NaN;
        double m = Mean(x), s = 0;
        foreach (double v in x) s += (v - m) * (v - m);
        return s / (x.Count - 1);
    }

    public static double StandardDeviation(IReadOnlyList<double> x) => Math.Sqrt(Variance(x));

    /// <summary>Mean, sd, min, max and the Student-t confidence interval of the mean.</summary>
    public static SampleSummary Summarize(IReadOnlyList<double> x, double level = DefaultLevel)
    {
        int n = x.Count;
        double m = Mean(x), sd = StandardDeviation(x);
        double lo = double.NaN, hi = double.NaN;
        if (n >= 2)
        {
            double half = StudentT.Quantile(1 - (1 - level) / 2, n - 1) * sd / Math.Sqrt(n);
            lo = m - half;
            hi = m + half;
        }
        return new SampleSummary(n, m, sd, lo, hi, n == 0 ? double.NaN : x.Min(), n == 0 ? double.NaN : x.Max(), level);
    }

    /// <summary>Welch's unequal-variance t-test of mean(a) − mean(b), two-sided.</summary>
    public static TTestResult Welch(IReadOnlyList<double> a, IReadOnlyList<double> b, double level = DefaultLevel)
    {
        int na = a.Count, nb = b.Count;
        double diff = Mean(a) - Mean(b);
        if (na < 2 || nb < 2) return Undefined("Welch", na, nb, diff, level);
        double va = Variance(a) / na, vb = Variance(b) / nb;
        double se = Math.Sqrt(va + vb);
        double df = (va + vb) * (va + vb) / (va * va / (na - 1) + vb * vb / (nb - 1));
        if (se == 0) df = na + nb - 2; // both samples constant: df is 0/0; the pooled df is the natural limit
        return Finish("Welch", na, nb, diff, se, df, level, CohensD(a, b));
    }

    /// <summary>Paired t-test on aᵢ − bᵢ (the same seed on both sides), two-sided.</summary>
    public static TTestResult Paired(IReadOnlyList<double> a, IReadOnlyList<double> b, double level = DefaultLevel)
    {
        if (a.Count != b.Count)
            throw new ArgumentException($"paired t-test needs equal lengths; got {a.Count} and {b.Count}");
        var d = a.Zip(b, (x, y) => x - y).ToArray();
        int n = d.Length;
        double diff = Mean(d);
        if (n < 2) return Undefined("paired", n, n, diff, level);
        double sd = StandardDeviation(d);
        return Finish("paired", n, n, diff, sd / Math.Sqrt(n), n - 1, level, Standardized(diff, sd));
    }

    /// <summary>Cohen's d of mean(a) − mean(b) in units of the pooled sample sd; NaN with fewer than 2 values a side.</summary>
    public static double CohensD(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        int na = a.Count, nb = b.Count;
        if (na < 2 || nb < 2) return double.NaN;
        double pooled = Math.Sqrt(((na - 1) * Variance(a) + (nb - 1) * Variance(b)) / (na + nb - 2));
        return Standardized(Mean(a) - Mean(b), pooled);
    }

    /// <summary>difference/sd; with no spread, 0 for no difference and ±∞ for any.</summary>
    private static double Standardized(double difference, double sd) =>
        sd > 0 ? difference / sd : difference == 0 ? 0 : Math.CopySign(double.PositiveInfinity, difference);

    /// <summary>
    /// Holm–Bonferroni step-down adjusted p-values, in the order given. NaN entries (tests that
    /// could not be computed) stay NaN and are not counted in the family size m. Controls the
    /// family-wise error rate with no assumption about how the tests depend on each other.
    /// </summary>
    public static double[] HolmAdjust(IReadOnlyList<double> p)
    {
        var adjusted = Enumerable.Repeat(double.NaN, p.Count).ToArray();
        var order = Enumerable.Range(0, p.Count).Where(i => !double.IsNaN(p[i])).OrderBy(i => p[i]).ToArray();
        int m = order.Length;
        double running = 0; // the running maximum keeps the adjusted p in the same order as the raw ones
        for (int k = 0; k < m; k++)
        {
            double pk = p[order[k]];
            if (pk < 0 || pk > 1) throw new ArgumentOutOfRangeException(nameof(p), $"a p-value must be in [0, 1]; got {pk}");
            running = Math.Max(running, Math.Min(1, (m - k) * pk));
            adjusted[order[k]] = running;
        }
        return adjusted;
    }

    /// <summary>The tests with <see cref="TTestResult.AdjustedP"/> and family size set by Holm over all of them (the undefined ones are not counted).</summary>
    public static TTestResult[] Holm(IReadOnlyList<TTestResult> tests)
    {
        var adjusted = HolmAdjust(tests.Select(t => t.P).ToArray());
        int m = adjusted.Count(a => !double.IsNaN(a));
        return tests.Select((t, i) => t with { AdjustedP = adjusted[i], FamilySize = t.IsDefined ? m : 0 }).ToArray();
    }

    private static TTestResult Undefined(string test, int na, int nb, double diff, double level) =>
        new(test, na, nb, diff, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, level, double.NaN);

    private static TTestResult Finish(string test, int na, int nb, double diff, double se, double df, double level, double effect)
    {
        if (se == 0)
        {
            // No spread at all: equal means are not different (p = 1); unequal ones are as different as can be.
            return new TTestResult(test, na, nb, diff, 0, diff == 0 ? 0 : Math.CopySign(double.PositiveInfinity, diff),
                df, diff == 0 ? 1 : 0, diff, diff, level, effect);
        }
        double t = diff / se;
        double p = 2 * StudentT.Cdf(-Math.Abs(t), df);
        double half = StudentT.Quantile(1 - (1 - level) / 2, df) * se;
        return new TTestResult(test, na, nb, diff, se, t, df, Math.Min(1, p), diff - half, diff + half, level, effect);
    }

    /// <summary>
    /// One line in plain words, the difference in percentage points (accuracies are fractions) and
    /// the effect size; once the test is Holm-adjusted, the verdict rests on the adjusted p and says so:
    /// "talu vs relu: +0.08 points (95% CI −0.21…+0.37), d = +0.35, Welch p = 0.52, Holm p = 1.00 (of 8 tests) — within noise (…)".
    /// </summary>
    public static string Verdict(string name, string baseline, TTestResult r, double scale = 100, string unit = "points")
    {
        string head = $"{name} vs {baseline}: ";
        if (!r.IsDefined)
            return head + $"{Signed(r.Difference * scale)} {unit}, not enough runs to test (n = {r.CountA} vs {r.CountB}; need 2 each)";
        string pct = $"{r.Level * 100:0.##}%", alpha = $"{(1 - r.Level) * 100:0.##}%";
        string ci = $"({pct} CI {Signed(r.CiLow * scale)}…{Signed(r.CiHigh * scale)})";
        string effect = $"{EffectSymbol(r)} = {FormatEffect(r.EffectSize)}";
        string p = $"{r.Test} p = {FormatP(r.P)}" + (r.IsAdjusted ? $", Holm p = {FormatP(r.AdjustedP)} (of {r.FamilySize} test{(r.FamilySize == 1 ? "" : "s")})" : "");
        string basis = r.IsAdjusted ? $"{r.Test} t-test, Holm-adjusted" : $"{r.Test} t-test";
        string verdict = r.IsSignificant
            ? $"significant at {alpha} ({basis}): {name} is {(r.Difference > 0 ? "higher" : "lower")}"
            : $"within noise ({basis}, not significant at {alpha})";
        return head + $"{Signed(r.Difference * scale)} {unit} {ci}, {effect}, {p} — {verdict}";
    }

    /// <summary>"d" (Cohen's d, pooled sd) for Welch, "d_z" for the paired test.</summary>
    public static string EffectSymbol(TTestResult r) => r.Test == "paired" ? "d_z" : "d";

    /// <summary>+0.35 / −1.20; "∞" with its sign when the samples have no spread; "n/a" when undefined.</summary>
    public static string FormatEffect(double d) =>
        double.IsInfinity(d) ? (d > 0 ? "+\u221e" : "\u2212\u221e") : Signed(d);

    /// <summary>+0.08 / −0.21 with a true minus sign; two decimals; "0.00" when it rounds to zero.</summary>
    public static string Signed(double v)
    {
        if (double.IsNaN(v)) return "n/a";
        string abs = Math.Abs(v).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
        return abs == "0.00" ? abs : (v < 0 ? "\u2212" : "+") + abs;
    }

    /// <summary>0.52 (p ≥ 0.1: two decimals), 0.0497 (three significant digits, so 0.0497 never prints as 0.05), 2.1e-5.</summary>
    public static string FormatP(double p) =>
        double.IsNaN(p) ? "n/a"
        : p < 0.001 ? p.ToString("0.0e0", System.Globalization.CultureInfo.InvariantCulture)
        : p < 0.1 ? p.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)
        : p.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Student's t distribution with ν degrees of freedom (ν &gt; 0, not necessarily an integer).</summary>
public static class StudentT
{
    /// <summary>P(T ≤ t).</summary>
    public static double Cdf(double t, double df)
    {
        if (!(df > 0)) throw new ArgumentOutOfRangeException(nameof(df), $"degrees of freedom must be > 0; got {df}");
        if (double.IsNaN(t)) return double.NaN;
        if (double.IsPositiveInfinity(t)) return 1;
        if (double.IsNegativeInfinity(t)) return 0;
        double tail = 0.5 * SpecialFunctions.RegularizedIncompleteBeta(df / 2, 0.5, df / (df + t * t)); // P(T > |t|)
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>The t with P(T ≤ t) = p, for 0 &lt; p &lt; 1 (bisection on the CDF to ~1e-12).</summary>
    public static double Quantile(double p, double df)
    {
        if (!(p > 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), $"probability must be in (0, 1); got {p}");
        if (!(df > 0)) throw new ArgumentOutOfRangeException(nameof(df), $"degrees of freedom must be > 0; got {df}");
        if (p == 0.5) return 0;
        if (p < 0.5) return -Quantile(1 - p, df);
        double lo = 0, hi = 1;
        while (Cdf(hi, df) < p)
        {
            lo = hi;
            hi *= 2;
            if (hi > 1e300) return double.PositiveInfinity;
        }
        for (int i = 0; i < 200 && hi - lo > 1e-13 * Math.Max(1, hi); i++)
        {
            double mid = 0.5 * (lo + hi);
            if (Cdf(mid, df) < p) lo = mid;
            else hi = mid;
        }
        return 0.5 * (lo + hi);
    }
}

/// <summary>ln Γ and the regularised incomplete beta function, in double precision.</summary>
public static class SpecialFunctions
{
    // Lanczos approximation, g = 7, n = 9 (the coefficients used by many numerical libraries): ~1e-15.
    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
        -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
        1.5056327351493116e-7,
    ];

    /// <summary>ln Γ(x) for x &gt; 0.</summary>
    public static double LogGamma(double x)
    {
        if (!(x > 0)) throw new ArgumentOutOfRangeException(nameof(x), $"LogGamma needs x > 0; got {x}");
        if (x < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x); // reflection
        x -= 1;
        double a = Lanczos[0];
        double t = x + 7.5;
        for (int i = 1; i < Lanczos.Length; i++) a += Lanczos[i] / (x + i);
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(a);
    }

    /// <summary>I_x(a, b) = B(x; a, b)/B(a, b) for a, b &gt; 0 and 0 ≤ x ≤ 1.</summary>
    public static double RegularizedIncompleteBeta(double a, double b, double x)
    {
        if (!(a > 0 && b > 0)) throw new ArgumentOutOfRangeException(nameof(a), $"need a, b > 0; got a = {a}, b = {b}");
        if (!(x >= 0 && x <= 1)) throw new ArgumentOutOfRangeException(nameof(x), $"need 0 ≤ x ≤ 1; got {x}");
        if (x == 0) return 0;
        if (x == 1) return 1;
        double lnFront = LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x);
        // The continued fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry otherwise.
        if (x < (a + 1) / (a + b + 2)) return Math.Exp(lnFront) * BetaContinuedFraction(a, b, x) / a;
        return 1 - Math.Exp(lnFront) * BetaContinuedFraction(b, a, 1 - x) / b;
    }

    /// <summary>The continued fraction of I_x(a, b), evaluated with the modified Lentz method.</summary>
    private static double BetaContinuedFraction(double a, double b, double x)
    {
        const double Tiny = 1e-300, Eps = 1e-16;
        double qab = a + b, qap = a + 1, qam = a - 1;
        double c = 1, d = 1 - qab * x / qap;
        if (Math.Abs(d) < Tiny) d = Tiny;
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= 1000; m++)
        {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((qam + m2) * (a + m2)); // even step
            d = 1 + aa * d;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + aa / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)); // odd step
            d = 1 + aa * d;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + aa / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            double del = d * c;
            h *= del;
            if (Math.Abs(del - 1) < Eps) return h;
        }
        return h; // not reached for the arguments a t-test produces
    }
}
