// Seeded random numbers that are the same on every accelerator: value i of stream (seed) is a pure
// function of (seed, i) — a SplitMix64 hash — computed on the host in double precision and then
// uploaded. No accelerator's math library takes part, so CUDA, OpenCL and the CPU accelerator
// start from bit-identical weights.
namespace Activations.Engine;

public static class CounterRng
{
    /// <summary>SplitMix64 finaliser of (seed, counter); the same function the kernels use.</summary>
    public static ulong Hash(ulong seed, ulong counter) => Kernels.CounterHash.Hash(seed, counter);

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public static double Uniform(ulong seed, ulong counter) => (Hash(seed, counter) >> 11) * (1.0 / (1UL << 53));

    /// <summary>n uniform values in [low, high).</summary>
    public static float[] Uniform(ulong seed, int n, float low, float high)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(low + (high - low) * Uniform(seed, (ulong)i));
        return a;
    }

    /// <summary>n normal values (Box–Muller on counters 2i, 2i+1).</summary>
    public static float[] Normal(ulong seed, int n, float mean, float std)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1.0 - Uniform(seed, 2UL * (ulong)i); // (0, 1]
            double u2 = Uniform(seed, 2UL * (ulong)i + 1);
            a[i] = (float)(mean + std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return a;
    }

    /// <summary>A seeded permutation of 0..n−1 (Fisher–Yates driven by the counter hash).</summary>
    public static int[] Permutation(ulong seed, int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)(Hash(seed, (ulong)i) % (ulong)(i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
