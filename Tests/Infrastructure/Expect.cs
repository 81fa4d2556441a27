// xunit assertions over Kernels' Tolerances.FirstMismatch: the tests and `activations verify` compare
// kernel output with the scalar references the same way, with the same named tolerances.
using Activations.Kernels;

namespace Activations.Tests.Infrastructure;

public static class Expect
{
    /// <summary>Asserts every value is within tolerance (NaN must match NaN, ±Inf must match exactly).</summary>
    public static void Close(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double rel, double abs, string what)
    {
        var m = Tolerances.FirstMismatch(actual, expected, rel, abs);
        Assert.True(m is null, $"{what}: {m}");
    }

    /// <summary>
    /// Asserts sums computed on the device: |actual − expected| ≤ Abs + (Rel + SumRel)·Σ|terms|, where
    /// <paramref name="magnitude"/> holds Σ|terms| of each sum.
    /// </summary>
    public static void SumsClose(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, ReadOnlySpan<double> magnitude,
        double rel, double abs, string what)
    {
        var m = Tolerances.FirstMismatch(actual, expected, magnitude, rel + Tolerances.SumRel, abs);
        Assert.True(m is null, $"{what}: {m}");
    }
}
