// 2-D convolution over NCHW tensors as a matrix product over the im2col matrix, forward and
// backward side by side:
//   cols = im2col(x)                      (N·Ho·Wo, C·kh·kw)
//   rows = cols · Wᵀ + b                  (N·Ho·Wo, Cout)          W viewed as (Cout, C·kh·kw)
//   y    = rows viewed (N, Ho·Wo, Cout) → transposed (N, Cout, Ho·Wo) → (N, Cout, Ho, Wo)
// so with rowsGrad = ∂y transposed back: dW = rowsGradᵀ·cols, db = Σ rowsGrad,
// dx = col2im(rowsGrad·W). Where the packed matmul runs, im2col writes cols straight into its packed
// operands, strips of A forward and panels of B for dW (no matrix, no packing pass), and the
// backward pass builds them again from x rather than keeping cols from the forward. On OpenCL CPUs,
// convolutions with stride 1 and output rows of at least 8 compute y and dx straight from x and g
// and dW (ConvDirectKernels; with padding, from a zero-padded copy), with the same sums in the same order.
using Activations.Kernels.Conv;
using Activations.Kernels.MatMul;

namespace Activations.Engine;

public sealed partial class Tensor
{
    /// <summary>y = conv2d(x, weight (Cout, C, kh, kw), bias (Cout) or null), zero padding, square stride.</summary>
    public Tensor Conv2d(Tensor weight, Tensor? bias, int stride = 1, int padding = 0)
    {
        ThrowIfDisposed();
        if (Rank != 4) throw new ArgumentException($"conv2d expects input (N, C, H, W); got {Describe()}");
        if (weight.Rank != 4) throw new ArgumentException($"conv2d expects weight (Cout, C, kh, kw); got {weight.Describe()}");
        if (weight.Shape[1] != Shape[1])
            throw new ArgumentException($"conv2d: input {Describe()} has {Shape[1]} channels but weight {weight.Describe()} expects {weight.Shape[1]}");
        int cout = weight.Shape[0];
        if (bias is not null && (bias.Rank != 1 || bias.Length != cout))
            throw new ArgumentException($"conv2d: bias {bias.Describe()} must have shape [{cout}]");
        var g = new ConvGeometry(Shape[0], Shape[1], Shape[2], Shape[3], weight.Shape[2], weight.Shape[3], stride, padding);
        var problem = g.Problem();
        if (problem is not null) throw new ArgumentException($"conv2d on {Describe()} with weight {weight.Describe()}: {problem}");

        var w2 = weight.Reshape(cout, g.Patch);
        var kernels = Device.Kernels.Get<ConvKernels>();
        var matmul = Device.Kernels.Get<MatMulKernels>();
        int plane = g.OutH * g.OutW;
        var y = new Tensor(Device, new Shape(g.N, cout, g.OutH, g.OutW));
        var biasView = bias is null ? default : bias.View;
        var x = this;
        // With zero padding the direct kernels run on x padded by a copy (gp: the same convolution without padding).
        var gp = g with { H = g.H + 2 * g.Pad, W = g.W + 2 * g.Pad, Pad = 0 };
        var direct = Device.Kernels.Plan.DirectConv && ConvDirectKernels.Takes(gp) ? Device.Kernels.Get<ConvDirectKernels>() : null;
        // ∂w directly too, with padding on x padded again in backward (the forward's copy is not kept).
        bool directWeights = direct is not null;
        int padded = direct?.WeightsChannels(cout) ?? 0;
        if (direct is not null)
        {
            // The direct kernels read w and g with whole panels of output channels (8 or 16 lanes).
            int lanes = direct.ForwardChannels(cout);
            using var w8 = new Tensor(Device, new Shape(g.Patch, lanes));
            kernels.Transpose3(w2.View, w8.View, 1, cout, g.Patch, lanes);
            if (g.Pad == 0) direct.Forward(View, w8.View, biasView, y.View, g, cout);
            else
            {
                using var xp = new Tensor(Device, new Shape(g.N, g.C, gp.H, gp.W));
                direct.Pad(View, xp.View, g.N * g.C, g.H, g.W, g.Pad, g.Pad);
                direct.Forward(xp.View, w8.View, biasView, y.View, gp, cout);
            }
        }
        else
        {
            using var rows = new Tensor(Device, new Shape(g.Rows, cout));
            if (matmul.DefaultAlgorithm == MatMulAlgorithm.Packed)
                matmul.MatMulPacked(strips => kernels.Im2ColStrips(x.View, strips, g), null, default, w2.View, rows.View,
                    g.Rows, cout, g.Patch, transposeB: true, bias: biasView);
            else
            {
                using var cols = new Tensor(Device, new Shape(g.Rows, g.Patch));
                kernels.Im2Col(View, cols.View, g);
                matmul.MatMul(cols.View, w2.View, rows.View, g.Rows, cout, g.Patch, false, true, biasView);
            }
            kernels.Transpose3(rows.View, y.View, g.N, plane, cout);
        }
        Tensor[] parents = bias is null ? [this, w2] : [this, w2, bias];
        return y.Record("conv2d", parents, gy =>
        {
            // g as (N·Ho·Wo, Cout) rows: for the bias, the im2col path, and the direct ∂w when Cout fills whole panels.
            bool needsRows = !directWeights || bias is not null || (w2.RequiresGrad && padded == cout);
            using var rowsGrad = needsRows ? new Tensor(Device, new Shape(g.Rows, cout)) : null;
            if (rowsGrad is not null) kernels.Transpose3(gy.View, rowsGrad.View, g.N, cout, plane);
            if (x.RequiresGrad && direct is not null)
            {
                int kw = g.KW - 1, channels = direct.InputChannels(g.C);
                using var gpad = new Tensor(Device, new Shape(g.N * cout * g.OutH, g.OutW + 2 * kw));
                using var w8 = new Tensor(Device, new Shape(cout, g.KH * g.KW, channels));
                direct.Pad(gy.View, gpad.View, g.N * cout * g.OutH, 1, g.OutW, 0, kw);
                kernels.Transpose3(w2.View, w8.View, cout, g.C, g.KH * g.KW, channels);
                if (g.Pad == 0) x.AccumulateGrad(gx => direct.Input(gpad.View, w8.View, gx, g, cout));
                else x.AccumulateGrad(gx =>
                {
                    using var dxp = new Tensor(Device, new Shape(g.N, g.C, gp.H, gp.W));
                    direct.Input(gpad.View, w8.View, dxp.View, gp, cout);
                    direct.Crop(dxp.View, gx, g.N * g.C, g.H, g.W, g.Pad, g.Pad);
                });
            }
            else if (x.RequiresGrad)
            {
                using var dcols = new Tensor(Device, new Shape(g.Rows, g.Patch));
                matmul.MatMul(rowsGrad!.View, w2.View, dcols.View, g.Rows, g.Patch, cout);
                x.AccumulateGrad(gx => kernels.Col2Im(dcols.View, gx, g));
            }
            if (directWeights && w2.RequiresGrad)
            {
                using var g8 = padded == cout ? null : new Tensor(Device, new Shape(g.Rows, padded));
                if (g8 is not null) kernels.Transpose3(gy.View, g8.View, g.N, cout, plane, padded);
                var g8View = g8 is null ? rowsGrad!.View : g8.View;
                using var xp = g.Pad == 0 ? null : new Tensor(Device, new Shape(g.N, g.C, gp.H, gp.W));
                if (xp is not null) direct!.Pad(x.View, xp.View, g.N * g.C, g.H, g.W, g.Pad, g.Pad);
                var (xView, xGeometry) = xp is null ? (x.View, g) : (xp.View, gp);
                w2.AccumulateProduct((dw, accumulate) => direct!.Weights(xView, g8View, dw, xGeometry, cout, accumulate));
            }
            else if (matmul.DefaultAlgorithm == MatMulAlgorithm.Packed)
                w2.AccumulateProduct((dw, accumulate) => matmul.MatMulPacked(null, panels => kernels.Im2ColPanels(x.View, panels, g),
                    rowsGrad!.View, default, dw, cout, g.Patch, g.Rows, transposeA: true, accumulate: accumulate));
            else if (w2.RequiresGrad)
            {
                using var cols = new Tensor(Device, new Shape(g.Rows, g.Patch));
                kernels.Im2Col(x.View, cols.View, g);
                w2.AccumulateMatMul(rowsGrad!, cols, true, false);
            }
            bias?.AccumulateRowSum(rowsGrad!);
        }, x, w2);
    }

    /// <summary>(B, R, C) → (B, C, R), materialised; its backward is the same swap.</summary>
    public Tensor SwapLastAxes()
    {
        ThrowIfDisposed();
        if (Rank != 3) throw new ArgumentException($"swap of the last two axes expects (B, R, C); got {Describe()}");
        int b = Shape[0], r = Shape[1], c = Shape[2];
        var kernels = Device.Kernels.Get<ConvKernels>();
        var y = new Tensor(Device, new Shape(b, c, r));
        kernels.Transpose3(View, y.View, b, r, c);
        var x = this;
        return y.Record("swap_axes", [this], gy => x.AccumulateGrad(gx => kernels.Transpose3(gy.View, gx, b, c, r)));
    }
}
