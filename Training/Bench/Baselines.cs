// The yardsticks the quick benchmarks compare against on each accelerator:
//   - a device-to-device copy of the same number of floats (GB/s counting read + write): an
//     elementwise kernel cannot beat it, so activations are reported as a percentage of it;
//   - on CUDA, cuBLAS SGEMM through ILGPU.Algorithms' CuBlas wrapper, validated against the same
//     double reference as our kernels; our matmul is reported as a percentage of it.
// cuBLAS is column-major: the row-major C (M×N) = op(A)·op(B) is computed as the column-major
// Cᵀ = op(B)ᵀ·op(A)ᵀ, where a row-major matrix read column-major is its transpose:
//   Gemm(op_B, op_A, N, M, K, 1, B, ldb, A, lda, 0, C, N),
//   op_B = B stored (N, K) ? Transpose : NonTranspose, ldb = B stored (N, K) ? K : N,
//   op_A = A stored (K, M) ? Transpose : NonTranspose, lda = A stored (K, M) ? M : K.
using Activations.Engine;
using ILGPU;
using ILGPU.Runtime;
using Device = Activations.Engine.Device;
using ILGPU.Runtime.Cuda;

namespace Activations.Training.Bench;

public static class Baselines
{
    /// <summary>Device-to-device copy bandwidth for <paramref name="n"/> floats, GB/s (bytes read + written).</summary>
    public static (double Ms, double GBs) Copy(Device device, int n, Func<Action, double> time)
    {
        using var src = Tensor.Full(device, 1.5f, n);
        using var dst = Tensor.Empty(device, n);
        src.View.CopyTo(dst.View);
        device.Synchronize();
        var check = dst.ToArray();
        if (check[0] != 1.5f || check[^1] != 1.5f) throw new InvalidOperationException($"copy on {device.Key} did not copy");
        double ms = time(() => src.View.CopyTo(dst.View));
        return (ms, 2.0 * 4 * n / (ms / 1000) / 1e9);
    }
}

/// <summary>cuBLAS SGEMM on a CUDA device, or the reason it is not available.</summary>
public sealed class CuBlasBaseline : IDisposable
{
    private readonly CuBlas _blas;

    private CuBlasBaseline(CuBlas blas) => _blas = blas;

    public static CuBlasBaseline? TryCreate(Device device, out string reason)
    {
        if (device.Accelerator is not CudaAccelerator cuda)
        {
            reason = $"{device.Key} is not a CUDA device";
            return null;
        }
        try
        {
            reason = "";
            return new CuBlasBaseline(new CuBlas(cuda));
        }
        catch (Exception e)
        {
            reason = $"cuBLAS could not be loaded: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}";
            return null;
        }
    }

    /// <summary>Row-major C (m×n) = op(A)·op(B), as in MatMulKernels.MatMul.</summary>
    public void Gemm(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int m, int n, int k, bool transposeA, bool transposeB) =>
        _blas.Gemm(transposeB ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
                   transposeA ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
                   n, m, k, 1f, b, transposeB ? k : n, a, transposeA ? m : k, 0f, c, n);

    public void Dispose() => _blas.Dispose();
}
