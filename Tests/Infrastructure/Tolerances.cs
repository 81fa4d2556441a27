// Named tolerances, in one place. Kernels compute in float32 and are compared with double-precision
// references; CUDA without LibDevice uses approximate tanh/exp (tanh.approx ≈ 2⁻¹¹ relative error).
using Activations.Engine;
using Activations.Kernels;

namespace Activations.Tests.Infrastructure;

public static class Tolerances
{
    /// <summary>Elementwise float32 kernels vs double reference: |a − r| ≤ Abs + Rel·|r|.</summary>
    public const double ElementwiseRel = 2e-6, ElementwiseAbs = 1e-6;

    /// <summary>Transcendental kernels (exp, tanh) vs double reference on CPU/OpenCL.</summary>
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

    public static (double Rel, double Abs) Transcendental(Device d) =>
        d.Kind == BackendKind.Cuda ? (CudaApproxRel, CudaApproxAbs) : (TranscendentalRel, TranscendentalAbs);

    /// <summary>Asserts every value is within tolerance (NaN must match NaN, ±Inf must match exactly).</summary>
    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double rel, double abs, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], e = expected[i];
            if (double.IsNaN(e))
            {
                Assert.True(double.IsNaN(a), $"{what}[{i}]: expected NaN, got {a}");
                continue;
            }
            if (double.IsInfinity(e))
            {
                Assert.True(a == e, $"{what}[{i}]: expected {e}, got {a}");
                continue;
            }
            Assert.True(Math.Abs(a - e) <= abs + rel * Math.Abs(e), $"{what}[{i}]: expected {e:R}, got {a:R} (|diff| {Math.Abs(a - e):E2})");
        }
    }

    /// <summary>
    /// Asserts sums computed on the device: |actual − expected| ≤ Abs + (Rel + SumRel)·Σ|terms|, where
    /// <paramref name="magnitude"/> holds Σ|terms| of each sum; a sum with a NaN term must be NaN.
    /// </summary>
    public static void AssertSumsClose(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, ReadOnlySpan<double> magnitude,
        double rel, double abs, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], e = expected[i], tol = abs + (rel + SumRel) * magnitude[i];
            if (double.IsNaN(e))
            {
                Assert.True(double.IsNaN(a), $"{what}[{i}]: expected NaN (a NaN term), got {a}");
                continue;
            }
            Assert.True(Math.Abs(a - e) <= tol, $"{what}[{i}]: expected {e:R}, got {a:R} (|diff| {Math.Abs(a - e):E2} > {tol:E2})");
        }
    }
}
