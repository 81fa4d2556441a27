// Batch normalisation over the channel axis of (N, C, H, W) or (N, C), composed from the
// primitive ops so that autograd derives its backward:
//   training:  μ = mean_{N,H,W} x,  σ² = mean (x − μ)²  (biased),  x̂ = (x − μ)/√(σ² + ε),  y = γ·x̂ + β
//              running_mean ← (1 − m)·running_mean + m·μ;  running_var ← (1 − m)·running_var + m·σ²·n/(n − 1)
//   eval:      x̂ uses the running statistics.
// (PyTorch semantics, momentum m = 0.1 by default.)
using Activations.Engine.Autograd;
using Activations.Kernels.Tensor;

namespace Activations.Engine;

public sealed partial class Tensor
{
    public Tensor BatchNorm(Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        bool training, float momentum = 0.1f, float eps = 1e-5f)
    {
        ThrowIfDisposed();
        if (Rank != 2 && Rank != 4) throw new ArgumentException($"batch_norm expects (N, C) or (N, C, H, W); got {Describe()}");
        int c = Shape[1];
        foreach (var (t, what) in new[] { (gamma, "weight"), (beta, "bias"), (runningMean, "running_mean"), (runningVar, "running_var") })
            if (t.Length != c) throw new ArgumentException($"batch_norm: {what} {t.Describe()} does not have {c} values for {Describe()}");
        var statShape = Rank == 4 ? new[] { 1, c, 1, 1 } : new[] { 1, c };
        int[] axes = Rank == 4 ? [0, 2, 3] : [0];
        int count = Length / c;
        if (training && count < 2) throw new ArgumentException($"batch_norm in training needs more than one value per channel; got {Describe()}");

        Tensor mean, variance;
        if (training)
        {
            mean = Mean(axes, keepDims: true);
            var centred = this - mean;
            variance = centred.Square().Mean(axes, keepDims: true);
            using (GradMode.NoGrad())
            {
                var affine = Device.Kernels.Get<AffineKernels>();
                // running ← (1 − m)·running + m·batch, in place.
                affine.Affine(runningMean.View, runningMean.View, 1f - momentum, 0f);
                affine.Axpy(mean.View, runningMean.View, momentum);
                affine.Affine(runningVar.View, runningVar.View, 1f - momentum, 0f);
                affine.Axpy(variance.View, runningVar.View, momentum * count / (count - 1f));
            }
            var inv = (variance + eps).Sqrt();
            var normalised = centred / inv;
            return normalised * gamma.Reshape(statShape) + beta.Reshape(statShape);
        }
        mean = runningMean.Reshape(statShape);
        variance = runningVar.Reshape(statShape);
        var xhat = (this - mean) / (variance + eps).Sqrt();
        return xhat * gamma.Reshape(statShape) + beta.Reshape(statShape);
    }
}
