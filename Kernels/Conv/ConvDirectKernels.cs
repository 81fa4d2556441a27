// Convolution products read straight from x (no im2col matrix, no packing), for stride 1 and no
// padding (a padded convolution runs on a zero-padded copy of x: Pad, and Crop for ∂x), as 8×8
// register blocks like the packed matmul's (Block8x8, through its IBlockUpdate), channels as the lanes
// of each row and positions or taps as the rows:
//
//   forward:  y[n, o, oh, ow] = bias[o] + Σ_q w[o, q] · x[n, c, oh + i, ow + j],  q = (c·kh + i)·kw + j
//             w8 is w transposed to (C·kh·kw, Cout rounded up to 8), zero past Cout (ConvKernels.Transpose3
//             with padded rows); a block is 8 neighbouring outputs of one output row (rows, each input
//             broadcast) × 8 output channels (one 8-float row of w8 as the lanes) per q, written to y
//             in NCHW. Where LaunchPlan.WideRows (PoCL on AVX-512) w8 is padded to 16 and a block is
//             two runs of 8 outputs × 16 output channels, through the packed matmul's float16 update.
//   weights:  ∂w[o, q] (+)= Σ_r g[r, o] · x[n, c, oh + i, ow + j],  r = (n·Ho + oh)·Wo + ow in order
//             g8 is (N·Ho·Wo, Cout rounded up to 8, or 16 where wide) (ConvKernels.Transpose3 with padded
//             rows); a block is 8 taps q (rows, each input broadcast) × 8 (16) output channels (one row
//             of g8 per r as the lanes).
//   input:    ∂x[n, c, h, w] = Σ_{i, j in order} (Σ_o g[n, o, h − i, w − j] · w[o, c, i, j])  over the taps
//             whose output exists; gp is g with kw − 1 zero columns each side of every row (Pad),
//             w8 is w as (Cout, kh·kw, C rounded up to 8, or 16 where wide), zero past C
//             (ConvKernels.Transpose3); a block is 8 neighbouring inputs of one input row (rows, each of
//             gp broadcast) × 8 (16) input channels (a row of w8 per tap and o as the lanes). A tap with
//             no output there reads gp's zeros and adds +0.
// Each sum runs in the order the im2col path sums it (over q, r, or o then the taps), from 0, the
// bias added (or the old ∂w accumulated) last, each multiply-add as the packed matmul's update rounds
// it (fused on OpenCL: LaunchPlan.FusedMultiplyAdd): with separate rounding (the CPU accelerator) the
// results are those of im2col + the packed matmul (+ col2im), bit for bit.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using Activations.Kernels.MatMul;

namespace Activations.Kernels.Conv;

public sealed class ConvDirectKernels : IKernelFamily<ConvDirectKernels>
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<Vec8f>, ArrayView<float>, ArrayView<float>, ConvGeometry, int, int> _forward;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<Vec16f>, ArrayView<float>, ArrayView<float>, ConvGeometry, int, int>? _forwardWide;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<Vec8f>, ArrayView<float>, ConvGeometry, int, int> _weights;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<Vec16f>, ArrayView<float>, ConvGeometry, int, int>? _weightsWide;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<Vec8f>, ArrayView<float>, ConvGeometry, int> _input;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<Vec16f>, ArrayView<float>, ConvGeometry, int>? _inputWide;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int, int> _pad, _crop;

    private ConvDirectKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _forward = plan.FusedMultiplyAdd
            ? accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Vec8f>, ArrayView<float>, ArrayView<float>, ConvGeometry, int, int>(DirectForwardKernel<FusedOnOpenCL>)
            : accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Vec8f>, ArrayView<float>, ArrayView<float>, ConvGeometry, int, int>(DirectForwardKernel<Unfused>);
        _weights = plan.FusedMultiplyAdd
            ? accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Vec8f>, ArrayView<float>, ConvGeometry, int, int>(DirectWeightsKernel<FusedOnOpenCL>)
            : accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Vec8f>, ArrayView<float>, ConvGeometry, int, int>(DirectWeightsKernel<Unfused>);
        _input = plan.FusedMultiplyAdd
            ? accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Vec8f>, ArrayView<float>, ConvGeometry, int>(DirectInputKernel<FusedOnOpenCL>)
            : accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Vec8f>, ArrayView<float>, ConvGeometry, int>(DirectInputKernel<Unfused>);
        _pad = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int, int, int>(PadKernel);
        _crop = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int, int, int>(CropKernel);
        if (!plan.WideRows) return;
        _forwardWide = plan.FusedMultiplyAdd
            ? accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Vec16f>, ArrayView<float>, ArrayView<float>, ConvGeometry, int, int>(DirectForwardWideKernel<FusedOnOpenCL>)
            : accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Vec16f>, ArrayView<float>, ArrayView<float>, ConvGeometry, int, int>(DirectForwardWideKernel<Unfused>);
        _inputWide = plan.FusedMultiplyAdd
            ? accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Vec16f>, ArrayView<float>, ConvGeometry, int>(DirectInputWideKernel<FusedOnOpenCL>)
            : accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Vec16f>, ArrayView<float>, ConvGeometry, int>(DirectInputWideKernel<Unfused>);
        _weightsWide = plan.FusedMultiplyAdd
            ? accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Vec16f>, ArrayView<float>, ConvGeometry, int, int>(DirectWeightsWideKernel<FusedOnOpenCL>)
            : accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Vec16f>, ArrayView<float>, ConvGeometry, int, int>(DirectWeightsWideKernel<Unfused>);
    }

    public static ConvDirectKernels Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    /// <summary>Whether these kernels take <paramref name="g"/>: stride 1, no padding, output rows of at least 8, windows at most 8 wide.</summary>
    public static bool Takes(ConvGeometry g) => g.Stride == 1 && g.Pad == 0 && g.OutW >= 8 && g.KW <= 8;

    /// <summary>
    /// Work-item blocks u = ((n·Ho + oh)·⌈Cout/8⌉ + panel)·⌈Wo/8⌉ + s: output channels 8·panel.. of
    /// output columns ow0 = min(8s, Wo − 8).. (the last run of a row overlaps the one before it and
    /// writes the same values again). Channels past Cout are computed from w8's zeros and not stored.
    /// </summary>
    private static void DirectForwardKernel<TUpdate>(ArrayView<float> x, ArrayView<Vec8f> w8, ArrayView<float> bias, ArrayView<float> y, ConvGeometry g,
        int cout, int hasBias) where TUpdate : struct, IBlockUpdate
    {
        int outH = g.OutH, outW = g.OutW;
        int runs = (outW + 7) / 8, panels = (cout + 7) / 8;
        GridLoop.Share((long)g.N * outH * panels * runs, out int begin, out int end);
        for (int u = begin; u < end; u++)
        {
            BlockAt(u, runs, panels, outH, out int n, out int oh, out int panel, out int s);
            int ow0 = Math.Min(8 * s, outW - 8), o0 = 8 * panel;
            var acc = default(Block8x8);
            int q = panel; // w8's Vec8f for tap q and this panel: q·panels + panel
            for (int c = 0; c < g.C; c++)
            {
                for (int i = 0; i < g.KH; i++)
                {
                    int at = ((n * g.C + c) * g.H + oh + i) * g.W + ow0;
                    for (int j = 0; j < g.KW; j++, q += panels, at++)
                        default(TUpdate).Add(ref acc, Vec8f.Load(x, at), w8[q]);
                }
            }
            StoreColumns(y, bias, ((n * cout + o0) * outH + oh) * outW + ow0, o0, cout, hasBias, outH * outW, acc);
        }
    }

    /// <summary>
    /// As <see cref="DirectForwardKernel"/> with 16 output channels as the lanes of each row and two
    /// runs of 8 outputs as the rows (LaunchPlan.WideRows: 16 sums of 16 lanes in flight, like the
    /// packed matmul's 16×16 unit): blocks u = ((n·Ho + oh)·⌈Cout/16⌉ + panel)·⌈runs/2⌉ + s. A row
    /// with one run computes it twice and stores it once. Each output sums its taps in the same order,
    /// each multiply-add as the packed matmul's (IBlockUpdate).
    /// </summary>
    private static void DirectForwardWideKernel<TUpdate>(ArrayView<float> x, ArrayView<Vec16f> w16, ArrayView<float> bias, ArrayView<float> y,
        ConvGeometry g, int cout, int hasBias) where TUpdate : struct, IBlockUpdate
    {
        int outH = g.OutH, outW = g.OutW;
        int runs = (outW + 7) / 8, pairs = (runs + 1) / 2, panels = (cout + 15) / 16;
        GridLoop.Share((long)g.N * outH * panels * pairs, out int begin, out int end);
        for (int u = begin; u < end; u++)
        {
            BlockAt(u, pairs, panels, outH, out int n, out int oh, out int panel, out int s);
            int r0 = 2 * s, r1 = Math.Min(r0 + 1, runs - 1);
            int ow0 = Math.Min(8 * r0, outW - 8), ow1 = Math.Min(8 * r1, outW - 8), o0 = 16 * panel;
            var first = default(Block8x16);
            var second = default(Block8x16);
            int q = panel; // w16's Vec16f for tap q and this panel: q·panels + panel
            for (int c = 0; c < g.C; c++)
            {
                for (int i = 0; i < g.KH; i++)
                {
                    int at = ((n * g.C + c) * g.H + oh + i) * g.W;
                    for (int j = 0; j < g.KW; j++, q += panels, at++)
                    {
                        var w = w16[q];
                        default(TUpdate).Add(ref first, Vec8f.Load(x, at + ow0), w);
                        default(TUpdate).Add(ref second, Vec8f.Load(x, at + ow1), w);
                    }
                }
            }
            int o = ((n * cout + o0) * outH + oh) * outW;
            StoreColumns(y, bias, o + ow0, o0, cout, hasBias, outH * outW, first);
            if (r1 > r0) StoreColumns(y, bias, o + ow1, o0, cout, hasBias, outH * outW, second);
        }
    }

    /// <summary>Block u = ((n·rows + row)·panels + panel)·runs + s of the forward and ∂x kernels: its sample, row, panel and run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BlockAt(int u, int runs, int panels, int rows, out int n, out int row, out int panel, out int s)
    {
        s = u % runs;
        int t = u / runs;
        panel = t % panels;
        int line = t / panels; // n·rows + row
        row = line % rows;
        n = line / rows;
    }

    /// <summary>Writes a block of 8 outputs (rows) by 8 channels (lanes) from <paramref name="at"/>, channel by channel (<see cref="StoreRow"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreColumns(ArrayView<float> y, ArrayView<float> bias, int at, int o0, int cout, int hasBias, int plane, in Block8x8 acc)
    {
        var t = acc.Transposed();
        StoreRow(y, bias, at, o0, cout, hasBias, t.R0); StoreRow(y, bias, at + plane, o0 + 1, cout, hasBias, t.R1);
        StoreRow(y, bias, at + 2 * plane, o0 + 2, cout, hasBias, t.R2); StoreRow(y, bias, at + 3 * plane, o0 + 3, cout, hasBias, t.R3);
        StoreRow(y, bias, at + 4 * plane, o0 + 4, cout, hasBias, t.R4); StoreRow(y, bias, at + 5 * plane, o0 + 5, cout, hasBias, t.R5);
        StoreRow(y, bias, at + 6 * plane, o0 + 6, cout, hasBias, t.R6); StoreRow(y, bias, at + 7 * plane, o0 + 7, cout, hasBias, t.R7);
    }

    /// <summary>Writes a block of 8 outputs (rows) by 16 channels (lanes) from <paramref name="at"/>, channel by channel (<see cref="StoreRow"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreColumns(ArrayView<float> y, ArrayView<float> bias, int at, int o0, int cout, int hasBias, int plane, in Block8x16 acc)
    {
        StoreColumns(y, bias, at, o0, cout, hasBias, plane, acc.Half(false));
        StoreColumns(y, bias, at + 8 * plane, o0 + 8, cout, hasBias, plane, acc.Half(true));
    }

    /// <summary>Writes 8 outputs of channel <paramref name="channel"/> (when it exists), its bias added last.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ArrayView<float> y, ArrayView<float> bias, int at, int channel, int cout, int hasBias, in Vec8f v)
    {
        if (channel >= cout) return;
        if (hasBias != 0)
        {
            float b = bias[channel];
            y[at] = v.V0 + b; y[at + 1] = v.V1 + b; y[at + 2] = v.V2 + b; y[at + 3] = v.V3 + b;
            y[at + 4] = v.V4 + b; y[at + 5] = v.V5 + b; y[at + 6] = v.V6 + b; y[at + 7] = v.V7 + b;
        }
        else Vec8f.Store(y, at, v);
    }

    /// <summary>
    /// Work-item blocks u = panel·⌈C·kh·kw / 8⌉ + group: ∂w for output channels 8·panel.. (the lanes)
    /// and taps q0 = 8·group.. (the rows), summed over every output position r in order from 0 as the
    /// packed product gᵀ·cols sums it: per r one 8-float row of g8 and each tap's input broadcast.
    /// Taps past the patch read its last one and are not stored.
    /// </summary>
    private static void DirectWeightsKernel<TUpdate>(ArrayView<float> x, ArrayView<Vec8f> g8, ArrayView<float> dw, ConvGeometry g, int cout, int accumulate)
        where TUpdate : struct, IBlockUpdate
    {
        int groups = (g.Patch + 7) / 8, panels = (cout + 7) / 8, sample = g.C * g.H * g.W;
        GridLoop.Share((long)groups * panels, out int begin, out int end);
        for (int u = begin; u < end; u++)
        {
            int group = u % groups, panel = u / groups, q0 = 8 * group;
            var taps = new TapGroup(g, q0);
            var acc = default(Block8x8);
            int r = panel;
            for (int n = 0; n < g.N; n++)
            {
                for (int oh = 0; oh < g.OutH; oh++)
                {
                    int at = n * sample + oh * g.W;
                    for (int ow = 0; ow < g.OutW; ow++, at++, r += panels)
                        default(TUpdate).Add(ref acc, taps.Inputs(x, at), g8[r]);
                }
            }
            StoreTaps(dw, g, cout, accumulate, 8 * panel, q0, acc.Transposed());
        }
    }

    /// <summary>
    /// As <see cref="DirectWeightsKernel{TUpdate}"/> with 16 output channels as the lanes
    /// (LaunchPlan.WideRows): blocks u = panel·⌈C·kh·kw / 8⌉ + group.
    /// </summary>
    private static void DirectWeightsWideKernel<TUpdate>(ArrayView<float> x, ArrayView<Vec16f> g16, ArrayView<float> dw, ConvGeometry g, int cout, int accumulate)
        where TUpdate : struct, IBlockUpdate
    {
        int groups = (g.Patch + 7) / 8, panels = (cout + 15) / 16, sample = g.C * g.H * g.W;
        GridLoop.Share((long)groups * panels, out int begin, out int end);
        for (int u = begin; u < end; u++)
        {
            int group = u % groups, panel = u / groups, q0 = 8 * group;
            var taps = new TapGroup(g, q0);
            var acc = default(Block8x16);
            int r = panel;
            for (int n = 0; n < g.N; n++)
            {
                for (int oh = 0; oh < g.OutH; oh++)
                {
                    int at = n * sample + oh * g.W;
                    for (int ow = 0; ow < g.OutW; ow++, at++, r += panels)
                        default(TUpdate).Add(ref acc, taps.Inputs(x, at), g16[r]);
                }
            }
            int o0 = 16 * panel;
            StoreTaps(dw, g, cout, accumulate, o0, q0, acc.Half(false).Transposed());
            StoreTaps(dw, g, cout, accumulate, o0 + 8, q0, acc.Half(true).Transposed());
        }
    }

    /// <summary>Where taps q0..q0 + 7 of the patch read x from a window's corner (past the patch: its last tap).</summary>
    private readonly struct TapGroup
    {
        private readonly int _t0, _t1, _t2, _t3, _t4, _t5, _t6, _t7;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TapGroup(ConvGeometry g, int q0)
        {
            _t0 = TapOffset(g, q0); _t1 = TapOffset(g, q0 + 1); _t2 = TapOffset(g, q0 + 2); _t3 = TapOffset(g, q0 + 3);
            _t4 = TapOffset(g, q0 + 4); _t5 = TapOffset(g, q0 + 5); _t6 = TapOffset(g, q0 + 6); _t7 = TapOffset(g, q0 + 7);
        }

        /// <summary>The 8 taps' inputs for the window whose corner is x[at].</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vec8f Inputs(ArrayView<float> x, int at)
        {
            var corner = x.SubView(at);
            Vec8f a;
            a.V0 = corner[_t0]; a.V1 = corner[_t1]; a.V2 = corner[_t2]; a.V3 = corner[_t3];
            a.V4 = corner[_t4]; a.V5 = corner[_t5]; a.V6 = corner[_t6]; a.V7 = corner[_t7];
            return a;
        }
    }

    /// <summary>Where tap q (c, i, j) of the patch (its last tap past the end) reads x, from the window's corner.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TapOffset(ConvGeometry g, int q)
    {
        int taps = g.KH * g.KW;
        q = Math.Min(q, g.Patch - 1);
        int c = q / taps, ij = q - c * taps, i = ij / g.KW;
        return (c * g.H + i) * g.W + ij - i * g.KW;
    }

    /// <summary>∂w (=, or += when accumulating) for channels o0..o0 + 7 (rows of <paramref name="block"/>) and taps q0..q0 + 7, clipped to Cout and the patch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTaps(ArrayView<float> dw, ConvGeometry g, int cout, int accumulate, int o0, int q0, in Block8x8 block)
    {
        for (int m = 0; m < 8 && o0 + m < cout; m++)
        {
            int to = (o0 + m) * g.Patch + q0;
            for (int k = 0; k < 8 && q0 + k < g.Patch; k++)
            {
                float v = block.Get(m, k);
                dw[to + k] = accumulate != 0 ? v + dw[to + k] : v;
            }
        }
    }

    /// <summary>
    /// Work-item blocks u = ((n·H + h)·⌈C/8⌉ + panel)·⌈W/8⌉ + s: ∂x for input channels 8·panel.. at
    /// input columns w0 = min(8s, W − 8).. of input row h (the last run overlaps the one before it).
    /// </summary>
    private static void DirectInputKernel<TUpdate>(ArrayView<float> gp, ArrayView<Vec8f> w8, ArrayView<float> dx, ConvGeometry g, int cout)
        where TUpdate : struct, IBlockUpdate
    {
        int outH = g.OutH, taps = g.KH * g.KW, padded = g.OutW + 2 * (g.KW - 1);
        int runs = (g.W + 7) / 8, panels = (g.C + 7) / 8, gPlane = outH * padded;
        GridLoop.Share((long)g.N * g.H * panels * runs, out int begin, out int end);
        for (int u = begin; u < end; u++)
        {
            BlockAt(u, runs, panels, g.H, out int n, out int h, out int panel, out int s);
            int w0 = Math.Min(8 * s, g.W - 8);
            var acc = default(Block8x8);
            for (int i = 0; i < g.KH; i++)
            {
                int oh = h - i;
                if (oh < 0 || oh >= outH) continue;
                for (int j = 0; j < g.KW; j++)
                {
                    // gp's column of output column w − j is w − j + kw − 1.
                    int at = (n * cout * outH + oh) * padded + w0 - j + g.KW - 1;
                    int tap = (i * g.KW + j) * panels + panel, tapStride = taps * panels;
                    var sum = default(Block8x8);
                    for (int o = 0; o < cout; o++, at += gPlane, tap += tapStride)
                        default(TUpdate).Add(ref sum, Vec8f.Load(gp, at), w8[tap]);
                    acc.AddRows(sum);
                }
            }
            int c0 = 8 * panel;
            StoreColumns(dx, default, ((n * g.C + c0) * g.H + h) * g.W + w0, c0, g.C, 0, g.H * g.W, acc);
        }
    }

    /// <summary>
    /// As <see cref="DirectInputKernel"/> with 16 input channels as the lanes of each row and one run
    /// of 8 inputs as the rows (LaunchPlan.WideRows; two runs would need 32 vector registers for the
    /// sums and their totals): blocks u = ((n·H + h)·⌈C/16⌉ + panel)·⌈W/8⌉ + s.
    /// </summary>
    private static void DirectInputWideKernel<TUpdate>(ArrayView<float> gp, ArrayView<Vec16f> w16, ArrayView<float> dx, ConvGeometry g, int cout)
        where TUpdate : struct, IBlockUpdate
    {
        int outH = g.OutH, taps = g.KH * g.KW, padded = g.OutW + 2 * (g.KW - 1);
        int runs = (g.W + 7) / 8, panels = (g.C + 15) / 16, gPlane = outH * padded;
        GridLoop.Share((long)g.N * g.H * panels * runs, out int begin, out int end);
        for (int u = begin; u < end; u++)
        {
            BlockAt(u, runs, panels, g.H, out int n, out int h, out int panel, out int s);
            int w0 = Math.Min(8 * s, g.W - 8);
            var acc = default(Block8x16);
            for (int i = 0; i < g.KH; i++)
            {
                int oh = h - i;
                if (oh < 0 || oh >= outH) continue;
                for (int j = 0; j < g.KW; j++)
                {
                    int at = (n * cout * outH + oh) * padded + w0 - j + g.KW - 1;
                    int tap = (i * g.KW + j) * panels + panel, tapStride = taps * panels;
                    var sum = default(Block8x16);
                    for (int o = 0; o < cout; o++, at += gPlane, tap += tapStride)
                        default(TUpdate).Add(ref sum, Vec8f.Load(gp, at), w16[tap]);
                    default(TUpdate).AddRows(ref acc, ref sum);
                }
            }
            int c0 = 16 * panel;
            StoreColumns(dx, default, ((n * g.C + c0) * g.H + h) * g.W + w0, c0, g.C, 0, g.H * g.W, acc);
        }
    }

    /// <summary>
    /// Work-item u of planes·(H + 2·padRows) writes row u of y (planes, H + 2·padRows, W + 2·padColumns):
    /// x (planes, H, W) with zeros around each plane.
    /// </summary>
    private static void PadKernel(ArrayView<float> x, ArrayView<float> y, int h, int w, int padRows, int padColumns) =>
        GridLoop.For((int)(y.Length / (w + 2 * padColumns)), new PadAt(x, y, h, w, padRows, padColumns));

    private readonly record struct PadAt(ArrayView<float> X, ArrayView<float> Y, int H, int W, int PadRows, int PadColumns) : IGridBody
    {
        public void Invoke(int u)
        {
            int rows = H + 2 * PadRows, width = W + 2 * PadColumns;
            int plane = u / rows, r = u - plane * rows - PadRows;
            int to = u * width;
            if (r < 0 || r >= H)
            {
                for (int k = 0; k < width; k++) Y[to + k] = 0f;
                return;
            }
            int from = (plane * H + r) * W;
            for (int k = 0; k < PadColumns; k++) Y[to + k] = 0f;
            to += PadColumns;
            for (int k = 0; k < W; k++) Y[to + k] = X[from + k];
            to += W;
            for (int k = 0; k < PadColumns; k++) Y[to + k] = 0f;
        }
    }

    /// <summary>Work-item u of planes·H writes row u of x (planes, H, W): the inside of y (planes, H + 2·padRows, W + 2·padColumns).</summary>
    private static void CropKernel(ArrayView<float> y, ArrayView<float> x, int h, int w, int padRows, int padColumns) =>
        GridLoop.For((int)(x.Length / w), new CropAt(y, x, h, w, padRows, padColumns));

    private readonly record struct CropAt(ArrayView<float> Y, ArrayView<float> X, int H, int W, int PadRows, int PadColumns) : IGridBody
    {
        public void Invoke(int u)
        {
            int plane = u / H, r = u - plane * H;
            int from = (plane * (H + 2 * PadRows) + r + PadRows) * (W + 2 * PadColumns) + PadColumns, to = u * W;
            for (int k = 0; k < W; k++) X[to + k] = Y[from + k];
        }
    }

    /// <summary>Output channels rounded up to whole 8-lane panels: the row length of the weights kernel's g.</summary>
    public static int PaddedChannels(int cout) => (cout + 7) / 8 * 8;

    /// <summary>Output channels rounded up to the forward's panels (16 lanes where LaunchPlan.WideRows, else 8): the row length of its w8.</summary>
    public int ForwardChannels(int cout) => _forwardWide is null ? PaddedChannels(cout) : (cout + 15) / 16 * 16;

    /// <summary>Output channels rounded up to ∂w's panels (16 lanes where LaunchPlan.WideRows, else 8): the row length of its g8.</summary>
    public int WeightsChannels(int cout) => _weightsWide is null ? PaddedChannels(cout) : (cout + 15) / 16 * 16;

    /// <summary>Input channels rounded up to ∂x's panels (16 lanes where LaunchPlan.WideRows, else 8): the row length of its w8.</summary>
    public int InputChannels(int c) => _inputWide is null ? PaddedChannels(c) : (c + 15) / 16 * 16;

    /// <summary>
    /// y (N, Cout, Ho, Wo) = conv2d(x, w) + bias (Cout, or empty), from w8 = w (Cout, C·kh·kw)
    /// transposed to (C·kh·kw, <see cref="ForwardChannels"/>(Cout)), zero past Cout; <see cref="Takes"/> must hold.
    /// </summary>
    public void Forward(ArrayView<float> x, ArrayView<float> w8, ArrayView<float> bias, ArrayView<float> y, ConvGeometry g, int cout)
    {
        Require(g);
        if (w8.Length < (long)g.Patch * ForwardChannels(cout))
            throw new ArgumentException($"conv forward: w8 has {w8.Length} values, too few for {g} with {cout} channels padded to {ForwardChannels(cout)}");
        bool hasBias = bias.IsValid && bias.Length > 0;
        if (_forwardWide is not null)
        {
            long units = (long)g.N * g.OutH * ((cout + 15) / 16) * (((g.OutW + 7) / 8 + 1) / 2);
            _forwardWide(_plan.BlockShare(units, _plan.PackedGroupSize), x, w8.Cast<Vec16f>(), hasBias ? bias : y, y, g, cout, hasBias ? 1 : 0);
            return;
        }
        long blocks = (long)g.N * g.OutH * ((cout + 7) / 8) * ((g.OutW + 7) / 8);
        _forward(_plan.BlockShare(blocks, _plan.PackedGroupSize), x, w8.Cast<Vec8f>(), hasBias ? bias : y, y, g, cout, hasBias ? 1 : 0);
    }

    /// <summary>
    /// ∂w (Cout, C·kh·kw) = (or +=, when <paramref name="accumulate"/>) Σ over output positions of
    /// g8 (N·Ho·Wo, <see cref="WeightsChannels"/>(Cout), zero past Cout) times the im2col row of x;
    /// <see cref="Takes"/> must hold.
    /// </summary>
    public void Weights(ArrayView<float> x, ArrayView<float> g8, ArrayView<float> dw, ConvGeometry g, int cout, bool accumulate)
    {
        Require(g);
        if (g8.Length < (long)g.Rows * WeightsChannels(cout))
            throw new ArgumentException($"conv weights: g has {g8.Length} values, too few for {g} with {cout} channels padded to {WeightsChannels(cout)}");
        if (_weightsWide is not null)
        {
            long units = (long)((g.Patch + 7) / 8) * ((cout + 15) / 16);
            _weightsWide(_plan.BlockShare(units, 1), x, g8.Cast<Vec16f>(), dw, g, cout, accumulate ? 1 : 0);
            return;
        }
        long blocks = (long)((g.Patch + 7) / 8) * ((cout + 7) / 8);
        // Few blocks, each a long sum: one work-item per group, so that every core takes some.
        _weights(_plan.BlockShare(blocks, _plan.Kind == BackendKind.OpenCL ? 1 : _plan.GroupSize), x, g8.Cast<Vec8f>(), dw, g, cout, accumulate ? 1 : 0);
    }

    /// <summary>y (planes, h + 2·padRows, w + 2·padColumns) = x (planes, h, w) with zeros around each plane.</summary>
    public void Pad(ArrayView<float> x, ArrayView<float> y, int planes, int h, int w, int padRows, int padColumns)
    {
        long rows = (long)planes * (h + 2 * padRows);
        if (x.Length != (long)planes * h * w || y.Length != rows * (w + 2 * padColumns))
            throw new ArgumentException($"pad: x {x.Length} or y {y.Length} is not {planes} planes of {h}×{w}, padded by {padRows} rows and {padColumns} columns");
        if (rows > 0) _pad(_plan.GridStride(rows), x, y, h, w, padRows, padColumns);
    }

    /// <summary>x (planes, h, w) = the inside of y (planes, h + 2·padRows, w + 2·padColumns): the inverse of <see cref="Pad"/>.</summary>
    public void Crop(ArrayView<float> y, ArrayView<float> x, int planes, int h, int w, int padRows, int padColumns)
    {
        if (x.Length != (long)planes * h * w || y.Length != (long)planes * (h + 2 * padRows) * (w + 2 * padColumns))
            throw new ArgumentException($"crop: x {x.Length} or y {y.Length} is not {planes} planes of {h}×{w}, padded by {padRows} rows and {padColumns} columns");
        if (x.Length > 0) _crop(_plan.GridStride((long)planes * h), y, x, h, w, padRows, padColumns);
    }

    /// <summary>
    /// ∂x (N, C, H, W), overwritten, from gp = g (N, Cout, Ho, Wo) with kw − 1 zero columns each side
    /// (<see cref="Pad"/>) and w8 = w (Cout, C, kh·kw) transposed to (Cout, kh·kw,
    /// <see cref="PaddedChannels"/>(C)), zero past C; <see cref="Takes"/> must hold.
    /// </summary>
    public void Input(ArrayView<float> gp, ArrayView<float> w8, ArrayView<float> dx, ConvGeometry g, int cout)
    {
        Require(g);
        if (gp.Length < (long)g.N * cout * g.OutH * (g.OutW + 2 * (g.KW - 1)) || w8.Length < (long)cout * g.KH * g.KW * InputChannels(g.C))
            throw new ArgumentException($"conv input gradient: gp ({gp.Length}) or w8 ({w8.Length}) too short for {g} with {cout} channels");
        if (_inputWide is not null)
        {
            long units = (long)g.N * g.H * ((g.C + 15) / 16) * ((g.W + 7) / 8);
            _inputWide(_plan.BlockShare(units, _plan.PackedGroupSize), gp, w8.Cast<Vec16f>(), dx, g, cout);
            return;
        }
        long blocks = (long)g.N * g.H * ((g.C + 7) / 8) * ((g.W + 7) / 8);
        _input(_plan.BlockShare(blocks, _plan.PackedGroupSize), gp, w8.Cast<Vec8f>(), dx, g, cout);
    }

    private static void Require(ConvGeometry g)
    {
        if (!Takes(g)) throw new ArgumentException($"the direct convolution needs stride 1, no padding and output rows of at least 8; got {g}");
    }
}
