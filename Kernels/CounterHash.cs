// A counter-based hash (SplitMix64 finaliser of seed and counter): random numbers that are a pure
// function of (seed, index), identical on the host and on every accelerator (integer arithmetic only).
namespace Activations.Kernels;

public static class CounterHash
{
    public static ulong Hash(ulong seed, ulong counter)
    {
        ulong z = seed * 0x9E3779B97F4A7C15UL + counter * 0xD1B54A32D192ED03UL + 0x632BE59BD9B4E019UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform float in [0, 1) with 24 random bits (exact in float on every backend).</summary>
    public static float Uniform24(ulong seed, ulong counter) => (Hash(seed, counter) >> 40) * (1f / 16777216f);
}
