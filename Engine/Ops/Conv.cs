// 2-D convolution over NCHW tensors as im2col + the tiled matmul (Linear), composed from recorded
// ops so that autograd derives the backward:
//   cols = im2col(x)                      (N·Ho·Wo, C·kh·kw)       backward: col2im (a gather)
//   rows = cols · Wᵀ + b                  (N·Ho·Wo, Cout)          W viewed as (Cout, C·kh·kw)
//   y    = rows viewed (N, Ho·Wo, Cout) → permuted (N, Cout, Ho·Wo) → (N, Cout, Ho, Wo)
// so dW = rowsGradᵀ·cols, dcols = rowsGrad·W, dx = col2im(dcols), db = Σ rowsGrad.
using Activations.Kernels.Conv;

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

        var cols = Im2Col(g);
        var rows = Linear(cols, weight.Reshape(cout, g.Patch), bias);                 // (N·Ho·Wo, Cout)
        var nchw = rows.Reshape(g.N, g.OutH * g.OutW, cout).SwapLastAxes();         // (N, Cout, Ho·Wo)
        return nchw.Reshape(g.N, cout, g.OutH, g.OutW);
    }

    /// <summary>The im2col matrix (N·Ho·Wo, C·kh·kw) of this NCHW tensor; backward is col2im.</summary>
    public Tensor Im2Col(ConvGeometry g)
    {
        ThrowIfDisposed();
        var kernels = Device.Kernels.Get<ConvKernels>();
        var cols = new Tensor(Device, new Shape(g.Rows, g.Patch));
        kernels.Im2Col(View, cols.View, g);
        var x = this;
        return cols.Record("im2col", [this], gc => x.AccumulateGrad(gx => kernels.Col2Im(gc.View, gx, g)));
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
