// Named tolerances and the one comparison that uses them, shared by the tests, `activations verify`
// and both benchmark harnesses. Kernels compute in float32 and are compared with double-precision
// references; CUDA without LibDevice uses approximate tanh/exp (tanh.approx ≈ 2⁻¹¹ relative error).
namespace Activations.Kernels;

/// <summary>The first value outside tolerance: where, both values and the bound it broke.</summary>
public readonly record struct Mismatch(int Index, double Actual, double Expected, double Allowed)
{
    public override string ToString() =>
        $"index {Index}: got {Actual:R}, expected {Expected:R} (|diff| {Math.Abs(Actual - Expected):E2} > {Allowed:E2})";
}

public static class Tolerances
{
    /// <summary>Elementwise float32 kernels vs double reference: |a − r| ≤ Abs + Rel·|r|.</summary>
    public const double ElementwiseRel = 2e-6, ElementwiseAbs = 1e-6;

    /// <summary>Transcendental kernels (exp, tanh, sqrt in the optimizers) vs double reference on CPU/OpenCL.</summary>
    public const double TranscendentalRel = 1e-5, TranscendentalAbs = 1e-6;

    /// <summary>CUDA's approximate transcendental instructions.</summary>
    public const double CudaApproxRel = 2e-3, CudaApproxAbs = 1e-5;

    /// <summary>Analytic float32 gradients vs central finite differences of a double reference.</summary>
    public const double GradRel = 2e-3, GradAbs = 2e-4;

    /// <summary>
    /// Extra relative error of a float32 sum, taken relative to Σ|terms|: a sequential float sum of
    /// k terms errs by about √k·2⁻²⁴ of that in practice (k·2⁻²⁴ at worst); 1e-5 covers k up to ~10⁵.
    /// </summary>
    public const double SumRel = 1e-5;

    /// <summary>
    /// Matmul outputs vs double reference: |c − r| ≤ MatMulRel·Σ_k |a·b| + MatMulAbs. A float32 dot
    /// product of length K errs by at most ≈ K·2⁻²⁴ of that sum, in practice ≈ √K·2⁻²⁴.
    /// </summary>
    public const double MatMulRel = 1e-5, MatMulAbs = 1e-6;

    /// <summary>Short float32 sums (≲ 200 terms of magnitude ≲ 2): conv2d outputs and gradients, pooling gradients, col2im.</summary>
    public const double ShortSumRel = 1e-5, ShortSumAbs = 1e-5;

    /// <summary>Sums of up to ~10⁶ terms relative to Σ|terms| (conv weight gradients over batch × pixels, a full-tensor sum).</summary>
    public const double LongSumRel = 1e-4;

    /// <summary>Tolerance of kernels built on exp/tanh/sqrt on a backend.</summary>
    public static (double Rel, double Abs) Transcendental(BackendKind kind) =>
        kind == BackendKind.Cuda ? (CudaApproxRel, CudaApproxAbs) : (TranscendentalRel, TranscendentalAbs);

    /// <summary>
    /// The first i with |actual − expected| > abs + rel·|expected| (NaN must match NaN, ±Inf must match
    /// exactly), a length difference as index −1, or null when all agree.
    /// </summary>
    public static Mismatch? FirstMismatch(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double rel, double abs)
    {
        if (actual.Length != expected.Length) return new Mismatch(-1, actual.Length, expected.Length, 0);
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], e = expected[i], allowed = abs + rel * Math.Abs(e);
            if (double.IsNaN(e) ? !double.IsNaN(a) : double.IsInfinity(e) ? a != e : !(Math.Abs(a - e) <= allowed))
                return new Mismatch(i, a, e, allowed);
        }
        return null;
    }

    /// <summary>
    /// Like <see cref="FirstMismatch(ReadOnlySpan{float}, ReadOnlySpan{double}, double, double)"/> for sums
    /// and dot products, where the bound scales with Σ|terms| of each: |a − e| ≤ abs + rel·scale[i].
    /// </summary>
    public static Mismatch? FirstMismatch(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, ReadOnlySpan<double> scale,
        double rel, double abs)
    {
        if (actual.Length != expected.Length) return new Mismatch(-1, actual.Length, expected.Length, 0);
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], e = expected[i], allowed = abs + rel * scale[i];
            if (double.IsNaN(e) ? !double.IsNaN(a) : !(Math.Abs(a - e) <= allowed)) return new Mismatch(i, a, e, allowed);
        }
        return null;
    }

    /// <summary>The first i where the two differ in any bit (seeded masks must match the CPU's exactly).</summary>
    public static Mismatch? FirstDifference(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (actual.Length != expected.Length) return new Mismatch(-1, actual.Length, expected.Length, 0);
        for (int i = 0; i < actual.Length; i++)
            if (BitConverter.SingleToInt32Bits(actual[i]) != BitConverter.SingleToInt32Bits(expected[i]))
                return new Mismatch(i, actual[i], expected[i], 0);
        return null;
    }
}
