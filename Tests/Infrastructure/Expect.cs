// xunit assertions over Kernels' Tolerances.FirstMismatch: the tests and `activations verify` compare
// kernel output with the scalar references the same way, with the same named tolerances. And the
// check every misuse test makes: the exception says what was wrong, naming the values.
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

    /// <summary>Asserts that <paramref name="misuse"/> throws exactly <typeparamref name="T"/> with a message naming each of <paramref name="named"/>; returns the exception.</summary>
    public static T Throws<T>(Func<object> misuse, params string[] named) where T : Exception => Naming(Assert.Throws<T>(misuse), named);

    /// <inheritdoc cref="Throws{T}(Func{object}, string[])"/>
    public static T Throws<T>(Action misuse, params string[] named) where T : Exception => Naming(Assert.Throws<T>(misuse), named);

    private static T Naming<T>(T e, string[] named) where T : Exception
    {
        foreach (string n in named) Assert.Contains(n, e.Message);
        return e;
    }
}
