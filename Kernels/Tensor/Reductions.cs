// Reductions over one axis of a tensor viewed as (outer, red, inner), row-major.
//
//   sum:     y[o, c, k] = scale · Σ_{r in chunk c} x[o, r, k]       chunk c = [c·len, (c+1)·len) ∩ [0, red)
//   max:     y[o, k] = max_r x[o, r, k],  idx[o, k] = first r attaining it (NaN wins: it propagates)
//   ∂max:    dx[o, r, k] = dy[o, k] where r = idx[o, k], else 0     (a gather: each thread writes its column)
//
// One thread per output element in a grid-stride loop. A long reduced axis is split into chunks
// first (of at most MaxChunkLength, for accuracy; more of them when there are few outputs, so
// that many threads share the work), then the chunk partials are summed: two launches, no atomics.
// Sums over columns (inner ≥ 8: the bias gradients) run on OpenCL and CUDA with a group per chunk
// of a row of columns (SumColumns): the loop over r then has the same bounds in every work-item, and
// a barrier lets PoCL run its work-item loop inside it, vectorised along k; same sums, same order.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Activations.Kernels.Tensor;

public sealed class ReductionKernels : IKernelFamily<ReductionKernels>
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int, int, int, float> _sum;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int, int, float> _sumColumns;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int> _max;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int> _maxBackward;

    private ReductionKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _sum = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int, int, int, int, float>(SumKernel);
        _sumColumns = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int, int, int, float>(SumColumnsKernel);
        _max = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int>(MaxKernel);
        _maxBackward = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int>(MaxBackwardKernel);
    }

    public static ReductionKernels Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    private static void SumKernel(ArrayView<float> x, ArrayView<float> y, int outer, int red, int inner,
        int chunks, int chunkLen, float scale) =>
        GridLoop.For(outer * chunks * inner, new SumAt(x, y, red, inner, chunks, chunkLen, scale));

    /// <summary>Output t = (o, c, k): the scaled sum of chunk c of x[o, ·, k].</summary>
    private readonly record struct SumAt(ArrayView<float> X, ArrayView<float> Y, int Red, int Inner, int Chunks, int ChunkLen, float Scale)
        : IGridBody
    {
        public void Invoke(int t)
        {
            int k = t % Inner;
            int c = t / Inner % Chunks;
            int o = t / (Inner * Chunks);
            int r0 = c * ChunkLen;
            int r1 = r0 + ChunkLen < Red ? r0 + ChunkLen : Red;
            float acc = 0f;
            int baseIndex = o * Red * Inner + k;
            for (int r = r0; r < r1; r++)
                acc += X[baseIndex + r * Inner];
            Y[t] = Scale * acc;
        }
    }

    /// <summary>
    /// Output (o, c, k) at work-item k of group row t = o·chunks + c: as <see cref="SumAt"/>, with k clamped
    /// so the loop is entered by every work-item (only the store is guarded). The barrier is what makes
    /// PoCL put its work-item loop inside the r loop (it adds implicit barriers to loops with uniform
    /// bounds only in kernels that have one).
    /// </summary>
    private static void SumColumnsKernel(ArrayView<float> x, ArrayView<float> y, int red, int inner, int chunks, int chunkLen, float scale)
    {
        int k = Grid.GlobalIndex.X, t = Grid.IdxY;
        int c = t % chunks, o = t / chunks;
        int r0 = c * chunkLen;
        int r1 = r0 + chunkLen < red ? r0 + chunkLen : red;
        int baseIndex = o * red * inner + (k < inner ? k : inner - 1);
        float acc = 0f;
        for (int r = r0; r < r1; r++)
            acc += x[baseIndex + r * inner];
        if (k < inner) y[t * inner + k] = scale * acc;
        Group.Barrier();
    }

    /// <summary>Where column t = (o, k) of (outer, red, inner) data starts: the index of [o, 0, k].</summary>
    private static int ColumnStart(int t, int red, int inner) => t / inner * red * inner + t % inner;

    private static void MaxKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<int> idx, int outer, int red, int inner) =>
        GridLoop.For(outer * inner, new MaxAt(x, y, idx, red, inner));

    /// <summary>Output t = (o, k): the max of x[o, ·, k] and the first r attaining it.</summary>
    private readonly record struct MaxAt(ArrayView<float> X, ArrayView<float> Y, ArrayView<int> Idx, int Red, int Inner) : IGridBody
    {
        public void Invoke(int t)
        {
            int baseIndex = ColumnStart(t, Red, Inner);
            float best = X[baseIndex];
            int bestR = 0;
            for (int r = 1; r < Red; r++)
            {
                float v = X[baseIndex + r * Inner];
                if (!XMath.IsNaN(best) && (v > best || XMath.IsNaN(v)))
                {
                    best = v;
                    bestR = r;
                }
            }
            Y[t] = best;
            Idx[t] = bestR;
        }
    }

    /// <summary>Work-item t = (o, k) writes the whole column dx[o, ·, k]: dy[t] at its argmax, 0 elsewhere.</summary>
    private static void MaxBackwardKernel(ArrayView<float> dy, ArrayView<int> idx, ArrayView<float> dx, int outer, int red, int inner) =>
        GridLoop.For(outer * inner, new MaxBackwardAt(dy, idx, dx, red, inner));

    private readonly record struct MaxBackwardAt(ArrayView<float> Dy, ArrayView<int> Idx, ArrayView<float> Dx, int Red, int Inner) : IGridBody
    {
        public void Invoke(int t)
        {
            int baseIndex = ColumnStart(t, Red, Inner), at = Idx[t];
            float g = Dy[t];
            for (int r = 0; r < Red; r++)
                Dx[baseIndex + r * Inner] = r == at ? g : 0f;
        }
    }

    /// <summary>
    /// Partial sums: y has outer·chunks·inner elements. Use <see cref="ChunksFor"/> to choose chunks;
    /// with chunks = 1 this is the whole reduction.
    /// </summary>
    public void Sum(ArrayView<float> x, ArrayView<float> y, int outer, int red, int inner, int chunks, float scale)
    {
        int n = outer * chunks * inner;
        if (n == 0) return;
        int chunkLen = red == 0 ? 0 : (red + chunks - 1) / chunks;
        if (_plan.AcrossWorkItems && inner >= 8) SumColumns(x, y, outer, red, inner, chunks, chunkLen, scale);
        else _sum(_plan.GridStride(n), x, y, outer, red, inner, chunks, chunkLen, scale);
    }

    /// <summary><see cref="Sum"/> by the column kernel, for any inner ≥ 1 (public for the tests).</summary>
    public void SumColumns(ArrayView<float> x, ArrayView<float> y, int outer, int red, int inner, int chunks, float scale)
    {
        if (outer * chunks * inner == 0) return;
        SumColumns(x, y, outer, red, inner, chunks, red == 0 ? 0 : (red + chunks - 1) / chunks, scale);
    }

    private void SumColumns(ArrayView<float> x, ArrayView<float> y, int outer, int red, int inner, int chunks, int chunkLen, float scale)
    {
        // A group is one row t of columns, rounded up to whole 8-lane vectors.
        int groupX = Math.Min((inner + 7) / 8 * 8, _plan.GroupSize);
        var grid = new Index2D((inner + groupX - 1) / groupX, outer * chunks);
        _sumColumns(new KernelConfig(grid, new Index2D(groupX, 1)), x, y, red, inner, chunks, chunkLen, scale);
    }

    /// <summary>Longest run of one sequential float sum (see <see cref="ChunksFor"/>).</summary>
    public const int MaxChunkLength = 1024;

    /// <summary>
    /// How many chunks to split a reduced axis into: enough that enough threads take part, and enough
    /// that no chunk is longer than <see cref="MaxChunkLength"/>. A sequential float sum of k terms can
    /// err by k·2⁻²⁴ relative, systematically for same-signed terms: one pass over 2¹⁷ values near
    /// 1000 (8 CPU threads on 2²⁰ values) lost 4e-4 of the sum.
    /// </summary>
    public int ChunksFor(int outer, int red, int inner)
    {
        int forAccuracy = (red + MaxChunkLength - 1) / MaxChunkLength;
        long outputs = (long)outer * inner;
        long wanted = (long)_plan.GroupSize * _plan.MaxGroups;
        if (red < 1024 || outputs >= wanted) return Math.Max(1, forAccuracy);
        long chunks = Math.Min(wanted / Math.Max(1, outputs), red / 256);
        return (int)Math.Max(forAccuracy, Math.Max(1, chunks));
    }

    /// <summary>Max and first argmax over the reduced axis; red must be ≥ 1.</summary>
    public void Max(ArrayView<float> x, ArrayView<float> y, ArrayView<int> idx, int outer, int red, int inner)
    {
        int n = outer * inner;
        if (n > 0) _max(_plan.GridStride(n), x, y, idx, outer, red, inner);
    }

    /// <summary>
    /// The gradient of <see cref="Max"/>: dx (outer, red, inner) gets dy (outer, inner) at each argmax
    /// in idx and 0 elsewhere, every element written (dx need not be cleared).
    /// </summary>
    public void MaxBackward(ArrayView<float> dy, ArrayView<int> idx, ArrayView<float> dx, int outer, int red, int inner)
    {
        int n = outer * inner;
        if (n > 0 && red > 0) _maxBackward(_plan.GridStride(n), dy, idx, dx, outer, red, inner);
    }

    /// <summary>Scalar reference of MaxBackward: dx with dy scattered to the argmax positions.</summary>
    public static double[] MaxBackwardReference(ReadOnlySpan<float> dy, ReadOnlySpan<int> idx, int outer, int red, int inner)
    {
        var dx = new double[outer * red * inner];
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < inner; k++)
                dx[(o * red + idx[o * inner + k]) * inner + k] = dy[o * inner + k];
        return dx;
    }
}
