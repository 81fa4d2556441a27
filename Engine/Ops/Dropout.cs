// Dropout: y = x·mask, mask[i] = (hash(seed, i) ≥ p) / (1 − p), drawn on the device.
using Activations.Kernels.Tensor;

namespace Activations.Engine;

public sealed partial class Tensor
{
    /// <summary>Drops each element with probability <paramref name="p"/> (training only: pass p = 0 or skip in eval).</summary>
    public Tensor Dropout(float p, ulong seed)
    {
        ThrowIfDisposed();
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability must be in [0, 1); got {p}");
        var y = new Tensor(Device, Shape);
        var mask = new Tensor(Device, Shape) { Name = "dropout.mask" };
        Device.Kernels.Get<DropoutKernels>().Forward(View, y.View, mask.View, seed, p);
        y.Own(mask);
        var x = this;
        return y.Record("dropout", [this], g => x.AccumulateGrad(Binary<MulOp>(g, mask), owned: true), mask);
    }
}
