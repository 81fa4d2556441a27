// The scalar reference of every matmul kernel: the definition of what they compute, in double.
//
//   C[i, j] = Σ_k op(A)[i, k] · op(B)[k, j] + bias[j]  (+ the old C[i, j] when accumulating)
//   op(A) (M, K) is A stored (M, K), or Aᵀ with A stored (K, M);
//   op(B) (K, N) is B stored (K, N), or Bᵀ with B stored (N, K). All row-major.
namespace Activations.Kernels.MatMul;

public static class MatMulReference
{
    /// <summary>
    /// One output C[i, j] without bias, and Σ_k |op(A)[i, k]·op(B)[k, j]| (the scale that bounds its
    /// float32 rounding error).
    /// </summary>
    public static (double Value, double AbsScale) Entry(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k,
        bool transposeA, bool transposeB, int i, int j)
    {
        double sum = 0, scale = 0;
        for (int p = 0; p < k; p++)
        {
            double prod = (double)(transposeA ? a[p * m + i] : a[i * k + p]) * (transposeB ? b[j * k + p] : b[p * n + j]);
            sum += prod;
            scale += Math.Abs(prod);
        }
        return (sum, scale);
    }

    /// <summary>op(A)·op(B) (+ bias broadcast over rows) (+ <paramref name="accumulateInto"/>), (M, N).</summary>
    public static double[] Compute(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k,
        bool transposeA = false, bool transposeB = false, ReadOnlySpan<float> bias = default, ReadOnlySpan<float> accumulateInto = default)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = Entry(a, b, m, n, k, transposeA, transposeB, i, j).Value;
                if (!bias.IsEmpty) sum += bias[j];
                if (!accumulateInto.IsEmpty) sum += accumulateInto[i * n + j];
                c[i * n + j] = sum;
            }
        }
        return c;
    }
}
