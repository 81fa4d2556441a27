// Convolution products read straight from x (no im2col matrix, no packing), for stride 1 and no
// padding, as 8×8 register blocks like the packed matmul's (Block8x8):
//
//   forward:  y[n, o, oh, ow] = bias[o] + Σ_q w[o, q] · x[n, c, oh + i, ow + j],  q = (c·kh + i)·kw + j
//             w8 is w transposed to (C·kh·kw, Cout rounded up to 8), zero past Cout (ConvKernels.Transpose3
//             with padded rows); a block is 8 output channels × 8 neighbouring outputs of one output row;
//             per q one 8-float row of w8 (each lane broadcast) and one 8-float run of an input row,
//             written to y in NCHW.
//   weights:  ∂w[o, q] (+)= Σ_r g[r, o] · x[n, c, oh + i, ow + j],  r = (n·Ho + oh)·Wo + ow in order
//             g8 is (N·Ho·Wo, Cout rounded up to 8) (ConvKernels.Transpose3 with padded rows); a block is
//             8 output channels × the kw taps of one tap row (c, i); per r one 8-float row of g8 (each
//             lane broadcast) and one 8-float run of an input row (kw ≤ 8 of its lanes used).
// Each sum runs over q (forward) or r (weights) in the order the im2col product sums it, from 0, the
// bias added (or the old ∂w accumulated) last: the results are those of im2col + the packed matmul,
// bit for bit. On PoCL the SLP vectoriser turns each block update into 8-lane multiplies and adds.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using Activations.Kernels.MatMul;

namespace Activations.Kernels.Conv;

public sealed class ConvDirectKernels : IKernelFamily<ConvDirectKernels>
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<Vec8f>, ArrayView<float>, ArrayView<float>, ConvGeometry, int, int> _forward;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<Vec8f>, ArrayView<float>, ConvGeometry, int, int> _weights;

    private ConvDirectKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _forward = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Vec8f>, ArrayView<float>, ArrayView<float>, ConvGeometry, int, int>(ForwardKernel);
        _weights = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Vec8f>, ArrayView<float>, ConvGeometry, int, int>(WeightsKernel);
    }

    public static ConvDirectKernels Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    /// <summary>Whether these kernels take <paramref name="g"/>: stride 1, no padding, output rows of at least 8, windows at most 8 wide.</summary>
    public static bool Takes(ConvGeometry g) => g.Stride == 1 && g.Pad == 0 && g.OutW >= 8 && g.KW <= 8;

    /// <summary>
    /// Work-item blocks u = ((n·Ho + oh)·⌈Cout/8⌉ + panel)·⌈Wo/8⌉ + s: output channels 8·panel.. of
    /// output columns ow0 = min(8s, Wo − 8).. (the last run of a row overlaps the one before it and
    /// writes the same values again). Channels past Cout are computed from w8's zeros and not stored.
    /// </summary>
    private static void ForwardKernel(ArrayView<float> x, ArrayView<Vec8f> w8, ArrayView<float> bias, ArrayView<float> y, ConvGeometry g,
        int cout, int hasBias)
    {
        int outH = g.OutH, outW = g.OutW;
        int runs = (outW + 7) / 8, panels = (cout + 7) / 8;
        GridLoop.Share((long)g.N * outH * panels * runs, out int begin, out int end);
        for (int u = begin; u < end; u++)
        {
            int s = u % runs, t = u / runs;
            int panel = t % panels, row = t / panels; // row = n·Ho + oh
            int oh = row % outH, n = row / outH;
            int ow0 = Math.Min(8 * s, outW - 8), o0 = 8 * panel;
            var acc = default(Block8x8);
            int q = panel; // w8's Vec8f for tap q and this panel: q·panels + panel
            for (int c = 0; c < g.C; c++)
            {
                for (int i = 0; i < g.KH; i++)
                {
                    int at = ((n * g.C + c) * g.H + oh + i) * g.W + ow0;
                    for (int j = 0; j < g.KW; j++, q += panels, at++)
                    {
                        Vec8f b;
                        b.V0 = x[at]; b.V1 = x[at + 1]; b.V2 = x[at + 2]; b.V3 = x[at + 3];
                        b.V4 = x[at + 4]; b.V5 = x[at + 5]; b.V6 = x[at + 6]; b.V7 = x[at + 7];
                        acc.Add(w8[q], b);
                    }
                }
            }
            int plane = outH * outW, o = ((n * cout + o0) * outH + oh) * outW + ow0;
            StoreRow(y, bias, o, o0, cout, hasBias, acc.R0); o += plane;
            StoreRow(y, bias, o, o0 + 1, cout, hasBias, acc.R1); o += plane;
            StoreRow(y, bias, o, o0 + 2, cout, hasBias, acc.R2); o += plane;
            StoreRow(y, bias, o, o0 + 3, cout, hasBias, acc.R3); o += plane;
            StoreRow(y, bias, o, o0 + 4, cout, hasBias, acc.R4); o += plane;
            StoreRow(y, bias, o, o0 + 5, cout, hasBias, acc.R5); o += plane;
            StoreRow(y, bias, o, o0 + 6, cout, hasBias, acc.R6); o += plane;
            StoreRow(y, bias, o, o0 + 7, cout, hasBias, acc.R7);
        }
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
        else
        {
            y[at] = v.V0; y[at + 1] = v.V1; y[at + 2] = v.V2; y[at + 3] = v.V3;
            y[at + 4] = v.V4; y[at + 5] = v.V5; y[at + 6] = v.V6; y[at + 7] = v.V7;
        }
    }

    /// <summary>
    /// Work-item blocks u = panel·C·kh + c·kh + i: ∂w for output channels 8·panel.. and the kw taps
    /// (c, i, 0..kw − 1), one per lane, summed over every output position r in order. A tap row's kw
    /// inputs are neighbours in x, so each r reads one 8-float run; the lanes past kw are not stored.
    /// </summary>
    private static void WeightsKernel(ArrayView<float> x, ArrayView<Vec8f> g8, ArrayView<float> dw, ConvGeometry g, int cout, int accumulate)
    {
        int tapRows = g.C * g.KH, panels = (cout + 7) / 8, sample = g.C * g.H * g.W;
        GridLoop.Share((long)tapRows * panels, out int begin, out int end);
        for (int u = begin; u < end; u++)
        {
            int tapRow = u % tapRows, panel = u / tapRows; // tapRow = c·kh + i
            int c = tapRow / g.KH, i = tapRow - c * g.KH;
            int corner = (c * g.H + i) * g.W;
            var acc = default(Block8x8);
            int r = panel;
            for (int n = 0; n < g.N; n++)
            {
                for (int oh = 0; oh < g.OutH; oh++)
                {
                    int at = n * sample + oh * g.W + corner;
                    if (at + g.OutW + 6 < x.Length)
                    {
                        for (int ow = 0; ow < g.OutW; ow++, at++, r += panels)
                        {
                            Vec8f b;
                            b.V0 = x[at]; b.V1 = x[at + 1]; b.V2 = x[at + 2]; b.V3 = x[at + 3];
                            b.V4 = x[at + 4]; b.V5 = x[at + 5]; b.V6 = x[at + 6]; b.V7 = x[at + 7];
                            acc.Add(g8[r], b);
                        }
                    }
                    else
                    {
                        // x's last row: the unused lanes read the row's last tap instead of past x's end.
                        int kw = g.KW - 1;
                        for (int ow = 0; ow < g.OutW; ow++, at++, r += panels)
                        {
                            Vec8f b;
                            b.V0 = x[at]; b.V1 = x[at + Math.Min(1, kw)]; b.V2 = x[at + Math.Min(2, kw)]; b.V3 = x[at + Math.Min(3, kw)];
                            b.V4 = x[at + Math.Min(4, kw)]; b.V5 = x[at + Math.Min(5, kw)]; b.V6 = x[at + Math.Min(6, kw)]; b.V7 = x[at + kw];
                            acc.Add(g8[r], b);
                        }
                    }
                }
            }
            int o0 = 8 * panel, q0 = tapRow * g.KW;
            for (int m = 0; m < 8 && o0 + m < cout; m++)
            {
                int to = (o0 + m) * g.Patch + q0;
                for (int j = 0; j < g.KW; j++)
                {
                    float v = acc.Get(m, j);
                    if (accumulate != 0) dw[to + j] += v;
                    else dw[to + j] = v;
                }
            }
        }
    }

    /// <summary>Output channels rounded up to whole 8-lane panels: the row length of the weights kernel's g.</summary>
    public static int PaddedChannels(int cout) => (cout + 7) / 8 * 8;

    /// <summary>
    /// y (N, Cout, Ho, Wo) = conv2d(x, w) + bias (Cout, or empty), from w8 = w (Cout, C·kh·kw)
    /// transposed to (C·kh·kw, <see cref="PaddedChannels"/>(Cout)), zero past Cout; <see cref="Takes"/> must hold.
    /// </summary>
    public void Forward(ArrayView<float> x, ArrayView<float> w8, ArrayView<float> bias, ArrayView<float> y, ConvGeometry g, int cout)
    {
        Require(g);
        if (w8.Length < (long)g.Patch * PaddedChannels(cout))
            throw new ArgumentException($"conv forward: w8 has {w8.Length} values, too few for {g} with {cout} channels padded to 8");
        bool hasBias = bias.IsValid && bias.Length > 0;
        long blocks = (long)g.N * g.OutH * ((cout + 7) / 8) * ((g.OutW + 7) / 8);
        _forward(_plan.BlockShare(blocks, _plan.PackedGroupSize), x, w8.Cast<Vec8f>(), hasBias ? bias : y, y, g, cout, hasBias ? 1 : 0);
    }

    /// <summary>
    /// ∂w (Cout, C·kh·kw) = (or +=, when <paramref name="accumulate"/>) Σ over output positions of
    /// g8 (N·Ho·Wo, <see cref="PaddedChannels"/>(Cout), zero past Cout) times the im2col row of x;
    /// <see cref="Takes"/> must hold.
    /// </summary>
    public void Weights(ArrayView<float> x, ArrayView<float> g8, ArrayView<float> dw, ConvGeometry g, int cout, bool accumulate)
    {
        Require(g);
        if (g8.Length < (long)g.Rows * PaddedChannels(cout))
            throw new ArgumentException($"conv weights: g has {g8.Length} values, too few for {g} with {cout} channels padded to 8");
        long blocks = (long)g.C * g.KH * ((cout + 7) / 8);
        // Few blocks, each a long sum: one work-item per group, so that every core takes some.
        _weights(_plan.BlockShare(blocks, _plan.Kind == BackendKind.OpenCL ? 1 : _plan.GroupSize), x, g8.Cast<Vec8f>(), dw, g, cout, accumulate ? 1 : 0);
    }

    private static void Require(ConvGeometry g)
    {
        if (!Takes(g)) throw new ArgumentException($"the direct convolution needs stride 1, no padding and output rows of at least 8; got {g}");
    }
}
