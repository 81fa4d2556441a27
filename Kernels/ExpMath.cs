// e^x − 1, e^x and tanh for the arguments the activations actually need, in plain float arithmetic
// that every backend compiles to the same operations.
//
// Why not XMath.Exp / XMath.Tanh: on OpenCL they become calls to the runtime's math library, and
// PoCL 6 runs them as scalar calls that cost about 10× a load and a store: TaLU forward on 16M
// elements ran at ~100 M elem/s with tanh, ~175 M with the code below (same machine, same run; see
// README "Kernels"). They also differ between backends in the last bits (CUDA's approximate
// instructions, PoCL's libm), which this code does not.
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
// tier-0 code and wait for the tiering thread, which competes with the kernel's own threads: the
// first few launches of TaLU forward ran 2–3× slower than later ones. AggressiveOptimization compiles
// them, and the helpers they inline, optimised at once; it means nothing to the GPU backends.
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
    public static float TanhNonPositive(float x) => TanhNonPositive(x, out _);

    /// <summary>
    /// tanh x for x ≤ 0 and its slope 1 − tanh² x = 4E/(1 + E)², from the same E = e^{2x}: accurate
    /// relatively where 1 − t² would cancel (for x ≪ 0 the slope is tiny but not an ulp of 1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static float TanhNonPositive(float x, out float slope)
    {
        var e = new Split(2f * x);
        float big = e.Exp;
        float q = 1f / (1f + big);
        float t = BitSelect.IfNegative(x + 0.5f, 2f * big * q - 1f, e.Expm1 * q); // rounding keeps the sign of x + 0.5
        bool nan = IsNaN(x);
        slope = nan ? x : 4f * big * q * q;
        return nan ? x : t;
    }

    /// <summary>tanh x for any x, by odd symmetry.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Tanh(float x)
    {
        float t = TanhNonPositive(BitSelect.IfNegative(x, x, -x));
        return BitSelect.IfNegative(x, t, -t);
    }

    /// <summary>tanh x for any x and its slope 1 − tanh² x (see the overload for x ≤ 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Tanh(float x, out float slope)
    {
        float t = TanhNonPositive(BitSelect.IfNegative(x, x, -x), out slope);
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
    /// <summary>
    /// ln(1 + u) for 0 ≤ u ≤ 1, as 2·atanh(s) with s = u/(2 + u) ≤ 1/3: its odd series to s¹⁵
    /// (truncation below 1e-8 relative), with full relative accuracy as u → 0. Softplus needs no
    /// other logarithm: ln(1 + eˣ) = max(x, 0) + ln(1 + e^{−|x|}).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Log1pUnit(float u)
    {
        float s = u / (2f + u), s2 = s * s;
        return 2f * s * (1f + s2 * (1f / 3f + s2 * (1f / 5f + s2 * (1f / 7f + s2 * (1f / 9f + s2 * (1f / 11f + s2 * (1f / 13f + s2 * (1f / 15f))))))));
    }

    /// <summary>
    /// erf x: below |x| = 1 its Taylor series to x²¹ (truncation below 2e-8); above, 1 − erfc by
    /// Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7, i.e. 2 ulps of erf ≥ 0.84), whose
    /// e^{−x²} comes from ExpNonPositive, so huge |x| gives ±1. Both are computed and selected.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Erf(float x)
    {
        float a = BitSelect.IfNegative(x, -x, x), z = a * a;
        float small = 1.1283791670955126f * a * (1f + z * (-1f / 3f + z * (1f / 10f + z * (-1f / 42f + z * (1f / 216f
            + z * (-1f / 1320f + z * (1f / 9360f + z * (-1f / 75600f + z * (1f / 685440f + z * (-1f / 6894720f + z * (1f / 76204800f)))))))))));
        float t = 1f / (1f + 0.3275911f * a);
        float large = 1f - t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f)))) * ExpNonPositive(-z);
        float r = BitSelect.IfNegative(a - 1f, small, large);
        return BitSelect.IfNegative(x, -r, r);
    }
}
