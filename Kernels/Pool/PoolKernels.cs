// Max and average pooling over NCHW windows, forward and backward.
//
//   max:  y[n,c,oh,ow] = max_{i,j} x[n,c,oh·s−p+i, ow·s−p+j] (padding never wins), idx = h·W + w of
//         the first maximum (NaN wins, so it propagates).  dx[n,c,h,w] = Σ dy over windows whose idx is (h,w).
//   avg:  y = (1/(kh·kw)) Σ_{window} x (zero padding counts, PyTorch's count_include_pad=True).
//         dx[n,c,h,w] = Σ_{windows containing (h,w)} dy/(kh·kw).
// Backward passes are gathers (one work-item per row of input elements): deterministic, no
// atomics, and correct for overlapping windows (stride < kernel).
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using Activations.Kernels.Conv;

namespace Activations.Kernels.Pool;

public sealed class PoolKernels : IKernelFamily<PoolKernels>
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, ConvGeometry> _maxForward;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, ConvGeometry, SpecializedValue<int>> _backward;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ConvGeometry> _avgForward;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, ConvGeometry, SpecializedValue<int>> _maxBackwardHalving;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, ConvGeometry> _maxForwardHalving;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, ConvGeometry, SpecializedValue<int>>? _maxForwardRuns;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, ConvGeometry, SpecializedValue<int>>? _maxBackwardRuns;

    private PoolKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _maxForward = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<int>, ConvGeometry>(MaxForwardKernel);
        _backward = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, ConvGeometry, SpecializedValue<int>>(BackwardKernel);
        _avgForward = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ConvGeometry>(AvgForwardKernel);
        _maxBackwardHalving = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, ConvGeometry, SpecializedValue<int>>(MaxBackwardHalvingKernel);
        _maxForwardHalving = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<int>, ConvGeometry>(MaxForwardHalvingKernel);
        if (!plan.FusedMultiplyAdd) return; // PoolRuns' OpenCL vector code: OpenCL CPUs only
        _maxForwardRuns = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<int>, ConvGeometry, SpecializedValue<int>>(MaxForwardRunsKernel<WindowRunsOnOpenCL>);
        _maxBackwardRuns = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, ConvGeometry, SpecializedValue<int>>(MaxBackwardRunsKernel<WindowRunsOnOpenCL>);
    }

    public static PoolKernels Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    // The general kernels give a work-item one line of its output (a row of y, or of dx) and derive the
    // line's coordinates once: with an integer division per element, the MNIST CNN's pooling
    // backward cost as much per step as all its matmuls on PoCL (docs/performance.md).

    /// <summary>Work-item u of N·C·Ho writes output row (plane, oh) of y and idx.</summary>
    private static void MaxForwardKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<int> idx, ConvGeometry g) =>
        GridLoop.For(g.N * g.C * g.OutH, new MaxForwardAt(x, y, idx, g, g.OutH, g.OutW));

    private readonly record struct MaxForwardAt(ArrayView<float> X, ArrayView<float> Y, ArrayView<int> Idx, ConvGeometry G, int OutH, int OutW)
        : IGridBody
    {
        public void Invoke(int u)
        {
            var g = G;
            int oh = OutH, ow = OutW;
            int ohi = u % oh, plane = u / oh; // plane = n·C + c
            int baseIndex = plane * g.H * g.W, line = u * ow;
            for (int owi = 0; owi < ow; owi++)
            {
                float best = 0f;
                int bestAt = -1;
                for (int i = 0; i < g.KH; i++)
                {
                    int h = ohi * g.Stride - g.Pad + i;
                    if (h < 0 || h >= g.H) continue;
                    for (int j = 0; j < g.KW; j++)
                    {
                        int w = owi * g.Stride - g.Pad + j;
                        if (w < 0 || w >= g.W) continue;
                        float v = X[baseIndex + h * g.W + w];
                        if (bestAt < 0 || (!XMath.IsNaN(best) && (v > best || XMath.IsNaN(v))))
                        {
                            best = v;
                            bestAt = h * g.W + w;
                        }
                    }
                }
                Y[line + owi] = best;
                Idx[line + owi] = bestAt;
            }
        }
    }

    /// <summary>Work-item u of N·C·Ho writes output row (plane, oh) of y.</summary>
    private static void AvgForwardKernel(ArrayView<float> x, ArrayView<float> y, ConvGeometry g) =>
        GridLoop.For(g.N * g.C * g.OutH, new AvgForwardAt(x, y, g, g.OutH, g.OutW));

    private readonly record struct AvgForwardAt(ArrayView<float> X, ArrayView<float> Y, ConvGeometry G, int OutH, int OutW) : IGridBody
    {
        public void Invoke(int u)
        {
            var g = G;
            int oh = OutH, ow = OutW;
            float inv = 1f / (g.KH * g.KW);
            int ohi = u % oh, plane = u / oh;
            int baseIndex = plane * g.H * g.W, line = u * ow;
            for (int owi = 0; owi < ow; owi++)
            {
                float acc = 0f;
                for (int i = 0; i < g.KH; i++)
                {
                    int h = ohi * g.Stride - g.Pad + i;
                    if (h < 0 || h >= g.H) continue;
                    for (int j = 0; j < g.KW; j++)
                    {
                        int w = owi * g.Stride - g.Pad + j;
                        if (w >= 0 && w < g.W) acc += X[baseIndex + h * g.W + w];
                    }
                }
                Y[line + owi] = acc * inv;
            }
        }
    }

    /// <summary>
    /// Work-item u of N·C·H gathers input row (plane, h) of dx: taps (i, j) in order, each walking
    /// the output columns whose window puts it on the row, so every element sums in (i, j) order.
    /// Max pooling (max = 1) takes dy only where the window's argmax is this element; average
    /// pooling (max = 0, idx unread) takes every window's dy and scales the sum by 1/(kh·kw).
    /// max is a compile-time constant, as in the activation kernels: each use is its own kernel.
    /// </summary>
    private static void BackwardKernel(ArrayView<float> dy, ArrayView<int> idx, ArrayView<float> dx, ConvGeometry g,
        SpecializedValue<int> isMax) =>
        GridLoop.For(g.N * g.C * g.H, new BackwardAt(dy, idx, dx, g, g.OutH, g.OutW, isMax.Value));

    private readonly record struct BackwardAt(ArrayView<float> Dy, ArrayView<int> Idx, ArrayView<float> Dx, ConvGeometry G, int OutH, int OutW,
        int Max) : IGridBody
    {
        public void Invoke(int u)
        {
            var g = G;
            int max = Max;
            int oh = OutH, ow = OutW;
            int h = u % g.H, plane = u / g.H;
            int line = u * g.W;
            for (int w = 0; w < g.W; w++) Dx[line + w] = 0f;
            for (int i = 0; i < g.KH; i++)
            {
                int ohi = ConvGeometry.OutputFor(h, i, g.Pad, g.Stride, oh);
                if (ohi < 0) continue;
                int outLine = (plane * oh + ohi) * ow;
                for (int j = 0; j < g.KW; j++)
                {
                    int w = j - g.Pad;
                    for (int owi = 0; owi < ow; owi++, w += g.Stride)
                        if (w >= 0 && w < g.W && (max == 0 || Idx[outLine + owi] == h * g.W + w)) Dx[line + w] += Dy[outLine + owi];
                }
            }
            if (max != 0) return;
            float inv = 1f / (g.KH * g.KW);
            for (int w = 0; w < g.W; w++) Dx[line + w] *= inv;
        }
    }

    // Max pooling over 2×2 windows with stride 2 that tile the input exactly (the CNN's and LeNet's),
    // one window per work-item with no loop over taps. Backward: window u writes its 4 elements of dx
    // (no zeroing pass); its row and plane come from a multiplication by a double reciprocal, not an
    // integer division (exact: see Quotient). Forward: a 2-D grid, x along the output row and y over
    // rows, so neighbouring work-items read neighbouring pairs of input at addresses affine in x;
    // from one flat index every load was a gather and PoCL's cost model declined to vectorise it.

    /// <summary>Whether <paramref name="g"/> is a 2×2 window with stride 2 and no padding whose windows cover the input exactly.</summary>
    public static bool Halves(ConvGeometry g) =>
        g.KH == 2 && g.KW == 2 && g.Stride == 2 && g.Pad == 0 && g.H == 2 * g.OutH && g.W == 2 * g.OutW;

    /// <summary>⌊u / d⌋ for 0 ≤ u &lt; 2³¹, given inv = 1/d: (u + ½)/d is at least ½/d from an integer, far more than the rounding error.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Quotient(int u, double inv) => (int)((u + 0.5) * inv);

    /// <summary>Where output u's window lies: At in the input, Local within its plane (idx's numbering).</summary>
    private readonly record struct HalvingWindow(int W, int OutH, int OutW)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (int At, int Local) Of(int u)
        {
            int row = Quotient(u, 1.0 / OutW), ow = u - row * OutW;   // row = plane·Ho + oh
            int oh = row - Quotient(row, 1.0 / OutH) * OutH;
            return (2 * (row * W + ow), 2 * (oh * W + ow));          // H = 2·Ho: plane·H·W + 2oh·W + 2ow
        }
    }

    /// <summary>
    /// Work-item (ow, row) writes y and idx at output column ow of output row row = plane·Ho + oh. The
    /// indices are clamped so that every work-item loads (only the stores are guarded): the loads then
    /// need no mask when vectorised. Taps in the reference's order, first maximum kept, NaN winning.
    /// </summary>
    private static void MaxForwardHalvingKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<int> idx, ConvGeometry g)
    {
        int rows = g.N * g.C * g.OutH, outW = g.OutW, w = g.W;
        int ow = Grid.GlobalIndex.X, row = Grid.GlobalIndex.Y;
        int c = ow < outW ? ow : outW - 1, r = row < rows ? row : rows - 1;
        int at = 2 * (r * w + c); // H = 2·Ho: plane·H·W + 2oh·W + 2ow
        float best = x[at];
        int k = 0;
        TakeIfMax(ref best, ref k, x[at + 1], 1);
        TakeIfMax(ref best, ref k, x[at + w], w);
        TakeIfMax(ref best, ref k, x[at + w + 1], w + 1);
        if (ow >= outW || row >= rows) return;
        int oh = r % g.OutH; // the same for the whole row of work-items: computed once per row
        y[row * outW + ow] = best;
        idx[row * outW + ow] = 2 * (oh * w + c) + k;
    }

    /// <summary>
    /// The max pool's step as a select: v replaces best when larger or NaN, unless best is NaN. v's NaN
    /// test is v ≠ v, one comparison: PoCL's SLP pass, run on one work-item first, paired isnan's bit
    /// tests of two taps into a 2-lane vector, and the loop vectoriser leaves a loop holding vector code
    /// alone. (!(v ≤ best) would say the same in one test, but ILGPU compiles it to v &gt; best.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TakeIfMax(ref float best, ref int at, float v, int vAt)
    {
        bool take = !XMath.IsNaN(best) & (v > best | NotSelf(v));
        best = take ? v : best;
        at = take ? vAt : at;
    }

    /// <summary>v ≠ v: NaN's test as one comparison (see <see cref="TakeIfMax"/>).</summary>
#pragma warning disable CS1718 // comparing v with itself is the point
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool NotSelf(float v) => v != v;
#pragma warning restore CS1718

    /// <summary>Work-item u of N·C·Ho·Wo writes the 4 elements of dx under its window: dy[u] at the argmax, 0 elsewhere.</summary>
    private static void MaxBackwardHalvingKernel(ArrayView<float> dy, ArrayView<int> idx, ArrayView<float> dx, ConvGeometry g,
        SpecializedValue<int> oneItem) =>
        GridLoop.For(g.N * g.C * g.OutH * g.OutW, oneItem, new MaxBackwardHalvingAt(dy, idx, dx, new HalvingWindow(g.W, g.OutH, g.OutW)));

    private readonly record struct MaxBackwardHalvingAt(ArrayView<float> Dy, ArrayView<int> Idx, ArrayView<float> Dx, HalvingWindow Window)
        : IGridBody
    {
        public void Invoke(int u)
        {
            var (at, local) = Window.Of(u);
            int w = Window.W, k = Idx[u] - local;
            float v = Dy[u];
            Dx[at] = k == 0 ? v : 0f;
            Dx[at + 1] = k == 1 ? v : 0f;
            Dx[at + w] = k == w ? v : 0f;
            Dx[at + w + 1] = k == w + 1 ? v : 0f;
        }
    }

    // Runs of 8 windows of a row per work-item (PoolRuns, OpenCL CPUs; 4 for rows of 4–7 windows):
    // u = row·runs + s, row = plane·Ho + oh, windows ow0 = min(L·s, Wo − L).. (the last run of a row
    // overlaps the one before it and writes the same values again). Narrower rows take the per-window
    // kernels. The run length L is a compile-time constant: each length is its own kernel.

    /// <summary>Work-item u of N·C·Ho·⌈Wo/L⌉ writes y and idx for a run of L windows of one output row.</summary>
    private static void MaxForwardRunsKernel<TRuns>(ArrayView<float> x, ArrayView<float> y, ArrayView<int> idx, ConvGeometry g, SpecializedValue<int> windows)
        where TRuns : struct, IWindowRuns
    {
        var run = new WindowRun(g.W, g.OutH, g.OutW, windows.Value);
        GridLoop.For(g.N * g.C * g.OutH * run.Runs, new MaxForwardRunAt<TRuns>(x, y, idx, run));
    }

    private readonly record struct MaxForwardRunAt<TRuns>(ArrayView<float> X, ArrayView<float> Y, ArrayView<int> Idx, WindowRun Run) : IGridBody
        where TRuns : struct, IWindowRuns
    {
        public void Invoke(int u)
        {
            var (at, local, o) = Run.Of(u);
            int w = Run.W;
            Vec8f best = default;
            Vec8i k = default;
            if (Run.Windows == 8)
            {
                Vec16f top, bottom;
                top.Lo = Vec8f.Load(X, at); top.Hi = Vec8f.Load(X, at + 8);
                bottom.Lo = Vec8f.Load(X, at + w); bottom.Hi = Vec8f.Load(X, at + w + 8);
                default(TRuns).Max(ref top, ref bottom, w, ref best, ref k);
                Y[o + 4] = best.V4; Y[o + 5] = best.V5; Y[o + 6] = best.V6; Y[o + 7] = best.V7;
                Idx[o + 4] = local + 8 + k.V4; Idx[o + 5] = local + 10 + k.V5; Idx[o + 6] = local + 12 + k.V6; Idx[o + 7] = local + 14 + k.V7;
            }
            else
            {
                var top = Vec8f.Load(X, at);
                var bottom = Vec8f.Load(X, at + w);
                default(TRuns).Max(ref top, ref bottom, w, ref best, ref k);
            }
            Y[o] = best.V0; Y[o + 1] = best.V1; Y[o + 2] = best.V2; Y[o + 3] = best.V3;
            Idx[o] = local + k.V0; Idx[o + 1] = local + 2 + k.V1; Idx[o + 2] = local + 4 + k.V2; Idx[o + 3] = local + 6 + k.V3;
        }
    }

    /// <summary>Work-item u of N·C·Ho·⌈Wo/L⌉ writes the two rows of 2L values of dx under a run of L windows.</summary>
    private static void MaxBackwardRunsKernel<TRuns>(ArrayView<float> dy, ArrayView<int> idx, ArrayView<float> dx, ConvGeometry g, SpecializedValue<int> windows)
        where TRuns : struct, IWindowRuns
    {
        var run = new WindowRun(g.W, g.OutH, g.OutW, windows.Value);
        GridLoop.For(g.N * g.C * g.OutH * run.Runs, new MaxBackwardRunAt<TRuns>(dy, idx, dx, run));
    }

    private readonly record struct MaxBackwardRunAt<TRuns>(ArrayView<float> Dy, ArrayView<int> Idx, ArrayView<float> Dx, WindowRun Run) : IGridBody
        where TRuns : struct, IWindowRuns
    {
        public void Invoke(int u)
        {
            var (at, local, o) = Run.Of(u);
            int w = Run.W;
            Vec8f v = default;
            Vec8i k = default;
            v.V0 = Dy[o]; v.V1 = Dy[o + 1]; v.V2 = Dy[o + 2]; v.V3 = Dy[o + 3];
            k.V0 = Idx[o] - local; k.V1 = Idx[o + 1] - local - 2; k.V2 = Idx[o + 2] - local - 4; k.V3 = Idx[o + 3] - local - 6;
            if (Run.Windows == 8)
            {
                v.V4 = Dy[o + 4]; v.V5 = Dy[o + 5]; v.V6 = Dy[o + 6]; v.V7 = Dy[o + 7];
                k.V4 = Idx[o + 4] - local - 8; k.V5 = Idx[o + 5] - local - 10; k.V6 = Idx[o + 6] - local - 12; k.V7 = Idx[o + 7] - local - 14;
                Vec16f top = default, bottom = default;
                default(TRuns).Spread(ref v, ref k, w, ref top, ref bottom);
                Vec8f.Store(Dx, at, top.Lo); Vec8f.Store(Dx, at + 8, top.Hi);
                Vec8f.Store(Dx, at + w, bottom.Lo); Vec8f.Store(Dx, at + w + 8, bottom.Hi);
            }
            else
            {
                Vec8f top = default, bottom = default;
                default(TRuns).Spread(ref v, ref k, w, ref top, ref bottom);
                Vec8f.Store(Dx, at, top);
                Vec8f.Store(Dx, at + w, bottom);
            }
        }
    }

    /// <summary>Runs of <paramref name="Windows"/> windows: where run u lies (At: its first window's corner in x; Local: that corner's idx numbering in its plane; O: its first output).</summary>
    private readonly record struct WindowRun(int W, int OutH, int OutW, int Windows)
    {
        public int Runs => (OutW + Windows - 1) / Windows;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (int At, int Local, int O) Of(int u)
        {
            int runs = Runs;
            int row = u / runs, s = u - row * runs; // row = plane·Ho + oh
            int ow0 = Math.Min(Windows * s, OutW - Windows), oh = row % OutH;
            return (2 * (row * W + ow0), 2 * (oh * W + ow0), row * OutW + ow0); // H = 2·Ho
        }
    }

    /// <summary>The run length for <paramref name="g"/> on OpenCL CPUs (<see cref="Halves"/>, rows of at least 4 windows): 8, or 4 for rows of 4–7; 0 where the per-window kernels take it.</summary>
    private int RunLength(ConvGeometry g) => _maxForwardRuns is null || !Halves(g) ? 0 : g.OutW >= 8 ? 8 : g.OutW >= 4 ? 4 : 0;

    public void MaxForward(ArrayView<float> x, ArrayView<float> y, ArrayView<int> idx, ConvGeometry g)
    {
        int length = RunLength(g);
        if (length > 0) _maxForwardRuns!(_plan.GridStride((long)g.N * g.C * g.OutH * ((g.OutW + length - 1) / length)), x, y, idx, g, SpecializedValue.New(length));
        else if (_plan.AcrossWorkItems && Halves(g)) MaxForwardHalving(x, y, idx, g);
        else _maxForward(_plan.GridStride((long)g.N * g.C * g.OutH), x, y, idx, g);
    }

    /// <summary>Max pooling forward by the per-window kernel; <see cref="Halves"/> must hold.</summary>
    public void MaxForwardHalving(ArrayView<float> x, ArrayView<float> y, ArrayView<int> idx, ConvGeometry g)
    {
        if (!Halves(g)) throw new ArgumentException($"the halving max pool needs a 2×2 window, stride 2, no padding and even H, W; got {g}");
        int rows = g.N * g.C * g.OutH;
        if (rows == 0 || g.OutW == 0) return;
        // x: the output row rounded up to whole 8-lane vectors; y: enough rows to fill a group.
        int groupX = Math.Min((g.OutW + 7) / 8 * 8, _plan.GroupSize), groupY = Math.Max(1, _plan.GroupSize / groupX);
        var grid = new Index2D((g.OutW + groupX - 1) / groupX, (rows + groupY - 1) / groupY);
        _maxForwardHalving(new KernelConfig(grid, new Index2D(groupX, groupY)), x, y, idx, g);
    }

    public void MaxBackward(ArrayView<float> dy, ArrayView<int> idx, ArrayView<float> dx, ConvGeometry g)
    {
        int length = RunLength(g);
        if (length > 0) _maxBackwardRuns!(_plan.GridStride((long)g.N * g.C * g.OutH * ((g.OutW + length - 1) / length)), dy, idx, dx, g, SpecializedValue.New(length));
        else if (_plan.AcrossWorkItems && Halves(g)) MaxBackwardHalving(dy, idx, dx, g);
        else _backward(_plan.GridStride((long)g.N * g.C * g.H), dy, idx, dx, g, SpecializedValue.New(1));
    }

    /// <summary>Max pooling backward by the per-output kernel, overwriting dx; <see cref="Halves"/> must hold.</summary>
    public void MaxBackwardHalving(ArrayView<float> dy, ArrayView<int> idx, ArrayView<float> dx, ConvGeometry g)
    {
        if (!Halves(g)) throw new ArgumentException($"the halving max pool needs a 2×2 window, stride 2, no padding and even H, W; got {g}");
        _maxBackwardHalving(_plan.GridStride((long)g.N * g.C * g.OutH * g.OutW), dy, idx, dx, g, _plan.OneItem);
    }

    public void AvgForward(ArrayView<float> x, ArrayView<float> y, ConvGeometry g) =>
        _avgForward(_plan.GridStride((long)g.N * g.C * g.OutH), x, y, g);

    public void AvgBackward(ArrayView<float> dy, ArrayView<float> dx, ConvGeometry g) =>
        _backward(_plan.GridStride((long)g.N * g.C * g.H), dy, dy.Cast<int>(), dx, g, SpecializedValue.New(0)); // idx unread

    // ---- scalar references (double) ----

    public static (double[] Y, int[] Idx) MaxReference(ReadOnlySpan<float> x, ConvGeometry g)
    {
        int oh = g.OutH, ow = g.OutW;
        var y = new double[g.N * g.C * oh * ow];
        var idx = new int[y.Length];
        for (int p = 0; p < g.N * g.C; p++)
        for (int a = 0; a < oh; a++)
        for (int b = 0; b < ow; b++)
        {
            double best = double.NegativeInfinity;
            int at = -1;
            for (int i = 0; i < g.KH; i++)
            for (int j = 0; j < g.KW; j++)
            {
                int h = a * g.Stride - g.Pad + i, w = b * g.Stride - g.Pad + j;
                if (h < 0 || h >= g.H || w < 0 || w >= g.W) continue;
                double v = x[(p * g.H + h) * g.W + w];
                if (at < 0 || (!double.IsNaN(best) && (v > best || double.IsNaN(v)))) { best = v; at = h * g.W + w; }
            }
            y[(p * oh + a) * ow + b] = best;
            idx[(p * oh + a) * ow + b] = at;
        }
        return (y, idx);
    }

    public static double[] AvgReference(ReadOnlySpan<float> x, ConvGeometry g)
    {
        int oh = g.OutH, ow = g.OutW;
        var y = new double[g.N * g.C * oh * ow];
        for (int p = 0; p < g.N * g.C; p++)
        for (int a = 0; a < oh; a++)
        for (int b = 0; b < ow; b++)
        {
            double acc = 0;
            for (int i = 0; i < g.KH; i++)
            for (int j = 0; j < g.KW; j++)
            {
                int h = a * g.Stride - g.Pad + i, w = b * g.Stride - g.Pad + j;
                if (h >= 0 && h < g.H && w >= 0 && w < g.W) acc += x[(p * g.H + h) * g.W + w];
            }
            y[(p * oh + a) * ow + b] = acc / (g.KH * g.KW);
        }
        return y;
    }

    /// <summary>Max pooling's ∂x: each dy goes to the input element its window's argmax <paramref name="idx"/> names.</summary>
    public static double[] MaxBackwardReference(ReadOnlySpan<float> dy, ReadOnlySpan<int> idx, ConvGeometry g)
    {
        var dx = new double[g.N * g.C * g.H * g.W];
        int perPlane = g.OutH * g.OutW;
        for (int o = 0; o < dy.Length; o++)
            if (idx[o] >= 0) dx[o / perPlane * g.H * g.W + idx[o]] += dy[o];
        return dx;
    }

    /// <summary>Average pooling's ∂x: each dy spread as dy/(kh·kw) over its window's in-bounds elements.</summary>
    public static double[] AvgBackwardReference(ReadOnlySpan<float> dy, ConvGeometry g)
    {
        int oh = g.OutH, ow = g.OutW;
        var dx = new double[g.N * g.C * g.H * g.W];
        for (int p = 0; p < g.N * g.C; p++)
        for (int a = 0; a < oh; a++)
        for (int b = 0; b < ow; b++)
        {
            double share = dy[(p * oh + a) * ow + b] / (double)(g.KH * g.KW);
            for (int i = 0; i < g.KH; i++)
            for (int j = 0; j < g.KW; j++)
            {
                int h = a * g.Stride - g.Pad + i, w = b * g.Stride - g.Pad + j;
                if (h >= 0 && h < g.H && w >= 0 && w < g.W) dx[(p * g.H + h) * g.W + w] += share;
            }
        }
        return dx;
    }
}
