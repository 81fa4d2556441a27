// Reductions over one axis of a tensor viewed as (outer, red, inner), row-major.
//
//   sum:     y[o, c, k] = scale · Σ_{r in chunk c} x[o, r, k]       chunk c = [c·len, (c+1)·len) ∩ [0, red)
//   max:     y[o, k] = max_r x[o, r, k],  idx[o, k] = first r attaining it (NaN wins: it propagates)
//
// One thread per output element in a grid-stride loop. A long reduced axis is split into chunks
// first (of at most MaxChunkLength, for accuracy; more of them when there are few outputs, so
// that many threads share the work), then the chunk partials are summed: two launches, no atomics.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Activations.Kernels.Tensor;

public sealed class ReductionKernels : IKernelFamily<ReductionKernels>
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int, int, int, float> _sum;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int> _max;

    private ReductionKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _sum = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int, int, int, int, float>(SumKernel);
        _max = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int>(MaxKernel);
    }

    public static ReductionKernels Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    private static void SumKernel(ArrayView<float> x, ArrayView<float> y, int outer, int red, int inner,
        int chunks, int chunkLen, float scale)
    {
        int n = outer * chunks * inner;
        int stride = Grid.DimX * Group.DimX;
        for (int t = Grid.GlobalIndex.X; t < n; t += stride)
        {
            int k = t % inner;
            int c = t / inner % chunks;
            int o = t / (inner * chunks);
            int r0 = c * chunkLen;
            int r1 = r0 + chunkLen < red ? r0 + chunkLen : red;
            float acc = 0f;
            int baseIndex = o * red * inner + k;
            for (int r = r0; r < r1; r++)
                acc += x[baseIndex + r * inner];
            y[t] = scale * acc;
        }
    }

    private static void MaxKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<int> idx, int outer, int red, int inner)
    {
        int n = outer * inner;
        int stride = Grid.DimX * Group.DimX;
        for (int t = Grid.GlobalIndex.X; t < n; t += stride)
        {
            int k = t % inner;
            int o = t / inner;
            int baseIndex = o * red * inner + k;
            float best = x[baseIndex];
            int bestR = 0;
            for (int r = 1; r < red; r++)
            {
                float v = x[baseIndex + r * inner];
                if (!XMath.IsNaN(best) && (v > best || XMath.IsNaN(v)))
                {
                    best = v;
                    bestR = r;
                }
            }
            y[t] = best;
            idx[t] = bestR;
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
        _sum(_plan.GridStride(n), x, y, outer, red, inner, chunks, chunkLen, scale);
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
}
