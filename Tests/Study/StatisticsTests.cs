// The study statistics against known values: t quantiles from printed tables (and to 1e-9 from an
// independent 30-digit evaluation with mpmath), t CDF values, ln Γ and the incomplete beta, the
// Welch example of Wikipedia's "Welch's t-test" article (t = −2.46, df = 24.99, p = 0.021), a paired
// example, Holm–Bonferroni and Cohen's d / d_z on worked examples done by hand, and the verdict wording.
using Activations.Training.Study;

namespace Activations.Tests.Study;

public class StatisticsTests
{
    /// <summary>Agreement with 30-digit references: bisection stops at ~1e-13, the special functions are ~1e-14.</summary>
    private const double Tight = 1e-9;

    [Theory]
    [InlineData(0.975, 4, 2.776)]
    [InlineData(0.975, 9, 2.262)]
    [InlineData(0.975, 29, 2.045)]
    [InlineData(0.975, 1, 12.706)]
    [InlineData(0.95, 10, 1.812)]
    [InlineData(0.995, 5, 4.032)]
    public void TQuantilesMatchPrintedTables(double p, double df, double table)
    {
        Assert.Equal(table, StudentT.Quantile(p, df), 3);
        Assert.Equal(-table, StudentT.Quantile(1 - p, df), 3);
    }

    [Theory]
    [InlineData(0.975, 4, 2.7764451052)]
    [InlineData(0.975, 9, 2.2621571628)]
    [InlineData(0.975, 29, 2.04522964213)]
    [InlineData(0.975, 2.5, 3.574654842)]
    [InlineData(0.975, 1000, 1.96233908083)]
    public void TQuantilesMatchHighPrecisionReference(double p, double df, double expected) =>
        Assert.True(Math.Abs(StudentT.Quantile(p, df) - expected) < Tight, $"t({p}, {df}) = {StudentT.Quantile(p, df):R}, expected {expected}");

    [Theory]
    [InlineData(2, 5, 0.949030260585071)]
    [InlineData(1, 1, 0.75)]
    [InlineData(-1.5, 10, 0.0822536632227201)]
    [InlineData(0.3, 2.7, 0.607116733652776)]
    [InlineData(-4, 30, 0.000190922818041878)]
    [InlineData(0, 7, 0.5)]
    public void TCdfMatchesReference(double t, double df, double expected) =>
        Assert.True(Math.Abs(StudentT.Cdf(t, df) - expected) < 1e-12, $"CDF({t}; {df}) = {StudentT.Cdf(t, df):R}, expected {expected}");

    [Fact]
    public void SpecialFunctionsMatchReference()
    {
        Assert.True(Math.Abs(SpecialFunctions.LogGamma(0.3) - 1.09579799481808) < 1e-12);
        Assert.True(Math.Abs(SpecialFunctions.LogGamma(10) - Math.Log(362880)) < 1e-12);
        Assert.True(Math.Abs(SpecialFunctions.LogGamma(123.4) - 469.336097442191) < 1e-10);
        Assert.True(Math.Abs(SpecialFunctions.RegularizedIncompleteBeta(2, 3, 0.4) - 0.5248) < 1e-13);
        Assert.True(Math.Abs(SpecialFunctions.RegularizedIncompleteBeta(0.5, 7.5, 0.9) - 0.99999999328971) < 1e-13);
    }

    [Fact]
    public void MeanSdAndConfidenceInterval()
    {
        var s = Statistics.Summarize([0.9812, 0.9790, 0.9825, 0.9801, 0.9808]);
        Assert.Equal(5, s.N);
        Assert.Equal(0.98072, s.Mean, 12);
        Assert.Equal(0.00129884564133, s.Sd, 12);
        Assert.Equal(0.00161272987206, s.CiHalfWidth, 11);
        Assert.Equal(s.Mean - s.CiHalfWidth, s.CiLow, 14);
        Assert.Equal(0.9790, s.Min);
        Assert.Equal(0.9825, s.Max);
    }

    [Fact]
    public void OneValueHasNoSpreadOrInterval()
    {
        var s = Statistics.Summarize([0.5]);
        Assert.Equal(0.5, s.Mean);
        Assert.True(double.IsNaN(s.Sd) && double.IsNaN(s.CiLow) && double.IsNaN(s.CiHigh));
    }

    [Fact]
    public void WelchMatchesWikipediaExample()
    {
        double[] a = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
        double[] b = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
        var r = Statistics.Welch(a, b);
        Assert.Equal("Welch", r.Test);
        Assert.Equal(-2.16666666667, r.Difference, 10);
        Assert.Equal(-2.45535639829, r.T, 4);
        Assert.Equal(24.9885292902, r.DegreesOfFreedom, 4);
        Assert.Equal(0.0213780014629, r.P, 4);
        Assert.Equal(-3.98409626714, r.CiLow, 4);
        Assert.Equal(-0.349237066192, r.CiHigh, 4);
        Assert.True(r.IsSignificant);
        // Swapping the samples flips the sign and nothing else.
        var s = Statistics.Welch(b, a);
        Assert.Equal(-r.T, s.T, 12);
        Assert.Equal(r.P, s.P, 12);
    }

    [Fact]
    public void PairedSeesWhatWelchCannot()
    {
        // The same five seeds: a consistent +0.12 points per seed, but seed-to-seed spread larger than that.
        double[] x = [0.9812, 0.9790, 0.9825, 0.9801, 0.9808];
        double[] y = [0.9795, 0.9781, 0.9810, 0.9799, 0.9790];
        var paired = Statistics.Paired(x, y);
        Assert.Equal(0.00122, paired.Difference, 12);
        Assert.Equal(4.08029037875, paired.T, 6);
        Assert.Equal(4, paired.DegreesOfFreedom);
        Assert.Equal(0.0150948285923, paired.P, 6);
        Assert.Equal(0.000389847556444, paired.CiLow, 8);
        Assert.Equal(0.00205015244356, paired.CiHigh, 8);
        var welch = Statistics.Welch(x, y);
        Assert.Equal(1.61820223269, welch.T, 6);
        Assert.Equal(7.7291632476, welch.DegreesOfFreedom, 6);
        Assert.Equal(0.145601516737, welch.P, 6);
        Assert.True(paired.IsSignificant);
        Assert.False(welch.IsSignificant);
    }

    [Fact]
    public void TooFewValuesAreNotTested()
    {
        var r = Statistics.Welch([0.98], [0.97, 0.975]);
        Assert.False(r.IsDefined);
        Assert.False(r.IsSignificant);
        Assert.Contains("not enough runs", Statistics.Verdict("talu", "relu", r));
        Assert.Throws<ArgumentException>(() => Statistics.Paired([1.0, 2.0], [1.0]));
    }

    [Fact]
    public void ConstantSamples()
    {
        Assert.Equal(1, Statistics.Welch([0.5, 0.5], [0.5, 0.5, 0.5]).P);
        var r = Statistics.Welch([0.6, 0.6], [0.5, 0.5]);
        Assert.Equal(0, r.P);
        Assert.True(r.IsSignificant);
    }

    [Fact]
    public void VerdictWording()
    {
        var noise = Statistics.Welch([0.9801, 0.9790, 0.9812, 0.9795], [0.9800, 0.9788, 0.9809, 0.9797]);
        string text = Statistics.Verdict("talu-a1-fixed-default", "relu-default", noise);
        Assert.StartsWith("talu-a1-fixed-default vs relu-default: +0.01 points (95% CI \u2212", text);
        Assert.Contains("Welch p = ", text);
        Assert.EndsWith("within noise (Welch t-test, not significant at 5%)", text);

        var clear = Statistics.Welch([0.985, 0.986, 0.984, 0.985], [0.975, 0.976, 0.974, 0.975]);
        string yes = Statistics.Verdict("exlu", "relu", clear);
        Assert.Contains("+1.00 points", yes);
        Assert.Contains("significant at 5% (Welch t-test): exlu is higher", yes);
        Assert.Contains("lower", Statistics.Verdict("relu", "exlu", Statistics.Welch([0.975, 0.976, 0.974, 0.975], [0.985, 0.986, 0.984, 0.985])));
    }

    [Fact]
    public void HolmMatchesTheWorkedExample()
    {
        // m = 4. Sorted: 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04; the running
        // maximum lifts the last to 0.06 (an adjusted p never falls below a smaller raw p's). In the order given:
        double[] holm = Statistics.HolmAdjust([0.01, 0.04, 0.03, 0.005]);
        Assert.Equal([0.03, 0.06, 0.06, 0.02], holm.Select(p => Math.Round(p, 12)));
    }

    [Fact]
    public void HolmCapsAtOneAndSkipsUndefinedTests()
    {
        // m = 3: 0.5·3 = 1.5 → 1, 0.6·2 = 1.2 → 1, 0.9·1 = 0.9 → 1 by the running maximum.
        Assert.Equal([1.0, 1.0, 1.0], Statistics.HolmAdjust([0.6, 0.9, 0.5]));
        // NaN is no test: m = 2, so 0.01·2 = 0.02 and 0.04·1 = 0.04.
        double[] withNaN = Statistics.HolmAdjust([double.NaN, 0.04, 0.01]);
        Assert.True(double.IsNaN(withNaN[0]));
        Assert.Equal([0.04, 0.02], withNaN[1..].Select(p => Math.Round(p, 12)));
        // Ties keep equal adjusted values: 0.02·2 = 0.04 for both.
        Assert.Equal([0.04, 0.04], Statistics.HolmAdjust([0.02, 0.02]).Select(p => Math.Round(p, 12)));
        Assert.Empty(Statistics.HolmAdjust([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Statistics.HolmAdjust([0.5, 1.5]));
    }

    [Fact]
    public void HolmAdjustedTestsDecideOnTheAdjustedP()
    {
        // Two Welch tests with raw p ≈ 0.047 and 0.88: adjusted ≈ 0.094 and 0.88 (m = 2); the first
        // is significant on its own and not once adjusted. A third with too few runs is not counted.
        var strong = Statistics.Welch([0.981, 0.983, 0.982, 0.984], [0.979, 0.982, 0.980, 0.980]);
        var weak = Statistics.Welch([0.9801, 0.9790, 0.9812, 0.9795], [0.9800, 0.9788, 0.9809, 0.9797]);
        var none = Statistics.Welch([0.98], [0.97, 0.975]);
        Assert.True(strong.P is > 0.025 and < 0.05, $"p = {strong.P}");
        Assert.True(strong.IsSignificant);
        var adjusted = Statistics.Holm([strong, weak, none]);
        Assert.Equal(Math.Min(1, 2 * strong.P), adjusted[0].AdjustedP, 15);
        Assert.Equal(Math.Max(2 * strong.P, weak.P), adjusted[1].AdjustedP, 15);
        Assert.Equal([2, 2, 0], adjusted.Select(t => t.FamilySize));
        Assert.False(adjusted[0].IsSignificant);
        Assert.Equal(strong.P, adjusted[0].P);
        Assert.False(adjusted[2].IsAdjusted);
        string text = Statistics.Verdict("talu", "relu", adjusted[0]);
        Assert.Contains($"Welch p = {Statistics.FormatP(strong.P)}, Holm p = {Statistics.FormatP(adjusted[0].AdjustedP)} (of 2 tests)", text);
        Assert.EndsWith("within noise (Welch t-test, Holm-adjusted, not significant at 5%)", text);
        // A family of one: Holm changes nothing.
        var alone = Assert.Single(Statistics.Holm([strong]));
        Assert.Equal(strong.P, alone.AdjustedP);
        Assert.True(alone.IsSignificant);
        Assert.Contains("(of 1 test) — significant at 5% (Welch t-test, Holm-adjusted): talu is higher", Statistics.Verdict("talu", "relu", alone));
    }

    [Fact]
    public void CohensDWithThePooledSd()
    {
        // a: mean 2, s² = 1; b: mean 5, s² = 4; pooled s² = (2·1 + 2·4)/4 = 2.5; d = −3/√2.5.
        Assert.Equal(-3 / Math.Sqrt(2.5), Statistics.CohensD([1.0, 2, 3], [3.0, 5, 7]), 14);
        Assert.Equal(-1.8973665961010275, Statistics.Welch([1.0, 2, 3], [3.0, 5, 7]).EffectSize, 14);
        // Unequal n: a = 1..4 (mean 2.5, s² = 5/3), b = 2, 4 (mean 3, s² = 2); pooled s² = (3·5/3 + 1·2)/4 = 1.75.
        Assert.Equal(-0.5 / Math.Sqrt(1.75), Statistics.CohensD([1.0, 2, 3, 4], [2.0, 4]), 14);
        Assert.True(double.IsNaN(Statistics.CohensD([1.0], [2.0, 3])));
        Assert.Equal(double.PositiveInfinity, Statistics.CohensD([0.6, 0.6], [0.5, 0.5]));
        Assert.Equal(0, Statistics.CohensD([0.5, 0.5], [0.5, 0.5]));
    }

    [Fact]
    public void PairedEffectSizeAndInterval()
    {
        // Differences 2, 3, 1: mean 2, sd 1, so d_z = 2; CI = 2 ± t(0.975, 2)·1/√3 = 2 ± 4.30265272975·0.577350269190.
        var r = Statistics.Paired([3.0, 5, 4], [1.0, 2, 3]);
        Assert.Equal(2, r.Difference, 14);
        Assert.Equal(2, r.EffectSize, 14);
        Assert.Equal(2 - 4.30265272975 * 0.577350269190, r.CiLow, 9);
        Assert.Equal(2 + 4.30265272975 * 0.577350269190, r.CiHigh, 9);
        Assert.Equal(r.T / Math.Sqrt(3), r.EffectSize, 12); // d_z = t/√n
        string text = Statistics.Verdict("a", "b", r, scale: 1, unit: "units");
        Assert.Contains("+2.00 units (95% CI \u22120.48…+4.48), d_z = +2.00, paired p = ", text);
    }

    [Fact]
    public void PFormatting()
    {
        Assert.Equal("0.52", Statistics.FormatP(0.5213));
        Assert.Equal("0.0031", Statistics.FormatP(0.0031));
        Assert.Equal("0.0497", Statistics.FormatP(0.04971));
        Assert.Equal("1.00", Statistics.FormatP(1));
        Assert.Equal("0.00", Statistics.Signed(-0.001));
        Assert.Equal("2.1e-5", Statistics.FormatP(2.1e-5));
        Assert.Equal("\u22120.21", Statistics.Signed(-0.2149));
        Assert.Equal("+0.37", Statistics.Signed(0.37));
        Assert.Equal("\u2212\u221e", Statistics.FormatEffect(double.NegativeInfinity));
        Assert.Equal("n/a", Statistics.FormatEffect(double.NaN));
    }
}
