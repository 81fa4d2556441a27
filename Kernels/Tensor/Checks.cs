// Numerical checks on device: how many values are NaN or ±Inf.
//
//   counts[c] = #{ i in chunk c : !(|x[i]| ≤ float.MaxValue) }     (NaN fails every comparison)
//
// Chunked like the sums in Reductions.cs: one thread per chunk, then the host adds ≤ 1024 counts.
// Used to stop training at the first non-finite loss or gradient and to name where it appeared.
//
//   MarkNonFinite:  if x[0] is NaN or ±Inf and first[0] < 0:  first[0] = step
//
// One thread, launched after every training step: the run learns the exact step at which the
// loss went bad without a device→host copy per step (the host reads first[0] every few steps).
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Activations.Kernels.Tensor;

public sealed class CheckKernels : IKernelFamily<CheckKernels>
{
    /// <summary>The most chunks (and so host-side counts) one check uses.</summary>
    public const int MaxChunks = 1024;

    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<int>, int, int, int> _nonFinite;

    private CheckKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _nonFinite = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, int, int, int>(NonFiniteKernel);
        _mark = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, int>(MarkKernel);
    }

    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<int>, int> _mark;

    public static CheckKernels Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    private static void NonFiniteKernel(ArrayView<float> x, ArrayView<int> counts, int n, int chunks, int chunkLen) =>
        GridLoop.For(chunks, new NonFiniteAt(x, counts, n, chunkLen));

    /// <summary>Chunk c: counts[c] = the non-finite values in x[c·chunkLen, (c + 1)·chunkLen) ∩ [0, n).</summary>
    private readonly record struct NonFiniteAt(ArrayView<float> X, ArrayView<int> Counts, int N, int ChunkLen) : IGridBody
    {
        public void Invoke(int c)
        {
            int start = c * ChunkLen;
            int end = start + ChunkLen < N ? start + ChunkLen : N;
            int count = 0;
            for (int i = start; i < end; i++)
                if (!(XMath.Abs(X[i]) <= float.MaxValue)) count++;
            Counts[c] = count;
        }
    }

    private static void MarkKernel(ArrayView<float> x, ArrayView<int> first, int step)
    {
        if (Grid.GlobalIndex.X == 0 && !(XMath.Abs(x[0]) <= float.MaxValue) && first[0] < 0) first[0] = step;
    }

    /// <summary>Records <paramref name="step"/> in first[0] if x[0] is not finite and first[0] is still negative.</summary>
    public void MarkNonFinite(ArrayView<float> x, ArrayView<int> first, int step)
    {
        if (x.Length < 1 || first.Length < 1) throw new ArgumentException("MarkNonFinite needs one value and one slot");
        _mark(_plan.GridStride(1), x, first, step);
    }

    /// <summary>Scalar reference of MarkNonFinite: the new first[0].</summary>
    public static int MarkNonFiniteReference(float x, int first, int step) => !float.IsFinite(x) && first < 0 ? step : first;

    /// <summary>Chunks to use for <paramref name="n"/> values.</summary>
    public static int ChunksFor(int n) => Math.Clamp((n + 4095) / 4096, 1, MaxChunks);

    /// <summary>Writes per-chunk counts of non-finite values into counts[0..ChunksFor(n)).</summary>
    public void NonFinite(ArrayView<float> x, ArrayView<int> counts)
    {
        int n = (int)x.Length;
        if (n == 0) return;
        int chunks = ChunksFor(n);
        int chunkLen = (n + chunks - 1) / chunks;
        _nonFinite(_plan.GridStride(chunks), x, counts, n, chunks, chunkLen);
    }

    /// <summary>Scalar reference: the number of NaN or infinite values.</summary>
    public static int NonFiniteReference(ReadOnlySpan<float> x)
    {
        int count = 0;
        foreach (var v in x) if (!float.IsFinite(v)) count++;
        return count;
    }
}
