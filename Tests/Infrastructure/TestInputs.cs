// Seeded test inputs, the same on every run and every accelerator (CounterRng is a pure function
// of seed and index), so a failure names an index that can be reproduced.
using Activations.Engine;

namespace Activations.Tests.Infrastructure;

public static class TestInputs
{
    /// <summary>Values every elementwise kernel must get right: signed zeros, tiny, unit, large, huge, NaN.</summary>
    public static readonly float[] Specials = [0f, -0f, 1e-7f, -1e-7f, 1f, -1f, 100f, -100f, 1e4f, -1e4f, float.NaN];

    /// <summary>n values uniform in [low, high).</summary>
    public static float[] Uniform(int n, ulong seed, float low, float high) => CounterRng.Uniform(seed, n, low, high);

    /// <summary>The same as doubles (for GradCheck, which takes double inputs).</summary>
    public static double[] UniformD(int n, ulong seed, double low, double high) =>
        Array.ConvertAll(Uniform(n, seed, (float)low, (float)high), v => (double)v);

    /// <summary>
    /// n values whose magnitude lies in [min, max] with a random sign: inputs kept away from the
    /// kink at 0 of ReLU-like functions, and strictly positive or negative where wanted.
    /// </summary>
    public static double[] AwayFromZero(int n, ulong seed, double min = 0.1, double max = 3)
    {
        var mag = Uniform(n, seed, (float)min, (float)max);
        var sign = Uniform(n, seed + 1000, 0f, 1f);
        return Enumerable.Range(0, n).Select(i => sign[i] < 0.5f ? -(double)mag[i] : mag[i]).ToArray();
    }

    /// <summary>Every third value is one of <see cref="Specials"/> (in turn), the others uniform in ±6.</summary>
    public static float[] Mixed(int n, ulong seed)
    {
        var x = Uniform(n, seed, -6f, 6f);
        for (int i = 0; i < n; i += 3) x[i] = Specials[i / 3 % Specials.Length];
        return x;
    }

    /// <summary>Distinct values (a shuffled arithmetic sequence): no ties, so max/argmax are unambiguous.</summary>
    public static double[] Distinct(int n, ulong seed, double spacing = 0.37)
    {
        var p = CounterRng.Permutation(seed, n);
        return p.Select(k => (k - n / 2.0) * spacing).ToArray();
    }

    public static float[] ToFloat(double[] a) => Array.ConvertAll(a, v => (float)v);
}
