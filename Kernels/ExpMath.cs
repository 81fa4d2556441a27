// e^x − 1, e^x and tanh for the arguments the activations actually need, in plain float arithmetic
// that every backend compiles to the same operations.
//
// Why not XMath.Exp / XMath.Tanh: on OpenCL they become calls to the runtime's math library, which
// PoCL 6 runs as scalar calls, each costing about 10 loads and stores (docs/performance.md). They also
// differ between backends in the last bits (CUDA's approximate instructions, PoCL's libm), which
// this code does not.
//
// Method (Cody–Waite): x = k·ln2 + r with k = round(x / ln2), |r| ≤ ln2/2, ln2 split in a high part
// with 9 significant bits (so k·ln2hi is exact for |k| ≤ 2^15) and a low part; e^r − 1 by its Taylor
// polynomial to r⁷ (truncation error r⁸/8! < 6e-9 relative); 2^k built from the exponent bits. Then
// e^x − 1 = 2^k(e^r − 1) + (2^k − 1), which keeps full relative accuracy as x → 0 (no cancellation).
//
// Domain: x ≤ 0 (larger x is treated as 0). For x ≤ −87, where e^x would be below float's normal
// range (e^−87 ≈ 1.6e-38), e^x is flushed to 0, so e^x − 1 = −1 exactly and tanh = −1 exactly.
// NaN in gives NaN out; it is recognised from its bits, because PoCL turns a float comparison into
// a min/max that drops NaN.
//
// On the CPU accelerator a kernel runs as .NET code, and these functions are too big for the JIT to
// inline into a kernel that calls them 8 times per iteration. Called, they would start as unoptimised
// tier-0 code and wait for the tiering thread, which competes with the kernel's own threads, so the
// first launches ran slower than later ones. AggressiveOptimization compiles them, and the helpers
// they inline, optimised at once; it means nothing to the GPU backends.
using System.Runtime.CompilerServices;
using ILGPU;

namespace Activations.Kernels;

/// <summary>Exponential-family functions of a non-positive float: the same arithmetic on every accelerator (a GPU may fuse multiply-adds).</summary>
public static class ExpMath
{
    /// <summary>Below this, e^x is flushed to 0.</summary>
    public const float FlushBelow = -87f;

    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;           // 355/512: 9 significant bits, k·Ln2Hi exact
    private const float Ln2Lo = -2.12194440e-4f;         // ln 2 − Ln2Hi

    /// <summary>True for NaN, from the bits (robust to compilers that rewrite float comparisons).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static bool IsNaN(float x) => (Interop.FloatAsInt(x) & 0x7FFFFFFF) > 0x7F800000;

    /// <summary>e^x = s·(1 + p): s = 2^k (0 when flushed), p = e^r − 1, |r| ≤ ln2/2.</summary>
    private readonly struct Split
    {
        public readonly float S, P;

        [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
        public Split(float x)
        {
            float xn = BitSelect.IfNegative(x, x, 0f);      // min(x, 0); x's sign is in no pattern
            float xc = xn < FlushBelow ? FlushBelow : xn;   // rare: a jump that is always predicted
            int k = (int)(xc * Log2E - 0.5f);            // round half away from zero, xc ≤ 0
            float kf = k;
            float r = (xc - kf * Ln2Hi) - kf * Ln2Lo;
            P = r + r * r * (0.5f + r * (1f / 6f + r * (1f / 24f + r * (1f / 120f + r * (1f / 720f + r * (1f / 5040f))))));
            S = xc <= FlushBelow ? 0f : Interop.IntAsFloat((uint)((k + 127) << 23));
        }

        public float Exp { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => S * P + S; }
        public float Expm1 { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => S * P + (S - 1f); }
    }

    /// <summary>e^x − 1 for x ≤ 0 (x &gt; 0 is taken as 0; x ≤ −87 gives −1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Expm1NonPositive(float x)
    {
        float result = new Split(x).Expm1;
        return IsNaN(x) ? x : result;
    }

    /// <summary>e^x for x ≤ 0 (x &gt; 0 is taken as 0; x ≤ −87 gives 0), to about 1 ulp relative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float ExpNonPositive(float x)
    {
        float result = new Split(x).Exp;
        return IsNaN(x) ? x : result;
    }

    /// <summary>
    /// tanh x for x ≤ 0 (x &gt; 0 is taken as 0). With E = e^{2x} and m = E − 1 from one reduction:
    /// m / (1 + E) near 0 (relative accuracy as x → 0), and −1 + 2E / (1 + E) for x &lt; −0.5, so that
    /// near −1 the error is an absolute ulp or so: backward passes compute 1 − t² from the output.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float TanhNonPositive(float x)
    {
        var e = new Split(2f * x);
        float big = e.Exp;
        float q = 1f / (1f + big);
        float t = BitSelect.IfNegative(x + 0.5f, 2f * big * q - 1f, e.Expm1 * q); // rounding keeps the sign of x + 0.5
        return IsNaN(x) ? x : t;
    }

    /// <summary>tanh x for any x, by odd symmetry.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Tanh(float x)
    {
        float t = TanhNonPositive(BitSelect.IfNegative(x, x, -x));
        return BitSelect.IfNegative(x, t, -t);
    }

    /// <summary>The logistic function 1/(1 + e^{−x}), from e^{−|x|} only, so it saturates and never overflows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Logistic(float x)
    {
        float e = ExpNonPositive(BitSelect.IfNegative(x, x, -x));
        float pos = 1f / (1f + e);
        return BitSelect.IfNegative(x, e * pos, pos);
    }
}
