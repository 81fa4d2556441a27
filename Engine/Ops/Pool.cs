// Pooling ops over NCHW tensors (kernels in Kernels/Pool/PoolKernels.cs).
using Activations.Kernels.Conv;
using Activations.Kernels.Pool;

namespace Activations.Engine;

public sealed partial class Tensor
{
    /// <summary>2-D max pooling; the argmax indices are kept (with the output) for backward.</summary>
    public Tensor MaxPool2d(int kernel, int stride = -1, int padding = 0)
    {
        var g = PoolGeometry("max_pool2d", kernel, stride, padding);
        var y = new Tensor(Device, new Shape(g.N, g.C, g.OutH, g.OutW));
        var idx = y.Own(new IntBuffer(Device, y.Length));
        var kernels = Device.Kernels.Get<PoolKernels>();
        kernels.MaxForward(View, y.View, idx.View, g);
        var x = this;
        return y.Record("max_pool2d", [this], gy => x.AccumulateGrad(gx => kernels.MaxBackward(gy.View, idx.View, gx, g)), idx);
    }

    /// <summary>2-D average pooling (zero padding counted, as PyTorch's default).</summary>
    public Tensor AvgPool2d(int kernel, int stride = -1, int padding = 0)
    {
        var g = PoolGeometry("avg_pool2d", kernel, stride, padding);
        var y = new Tensor(Device, new Shape(g.N, g.C, g.OutH, g.OutW));
        var kernels = Device.Kernels.Get<PoolKernels>();
        kernels.AvgForward(View, y.View, g);
        var x = this;
        return y.Record("avg_pool2d", [this], gy => x.AccumulateGrad(gx => kernels.AvgBackward(gy.View, gx, g)));
    }

    /// <summary>Mean over H and W: (N, C, H, W) → (N, C).</summary>
    public Tensor GlobalAvgPool()
    {
        if (Rank != 4) throw new ArgumentException($"global_avg_pool expects (N, C, H, W); got {Describe()}");
        return Mean([2, 3]);
    }

    private ConvGeometry PoolGeometry(string op, int kernel, int stride, int padding)
    {
        ThrowIfDisposed();
        if (Rank != 4) throw new ArgumentException($"{op} expects (N, C, H, W); got {Describe()}");
        var g = new ConvGeometry(Shape[0], Shape[1], Shape[2], Shape[3], kernel, kernel, stride < 0 ? kernel : stride, padding);
        var problem = g.Problem();
        if (problem is null && padding > kernel / 2) problem = $"padding {padding} must be at most half the kernel ({kernel})";
        if (problem is not null) throw new ArgumentException($"{op} on {Describe()}: {problem}");
        return g;
    }
}
