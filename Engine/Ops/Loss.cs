// Loss and accuracy over class logits, computed on the device. Labels are int32 class indices in an
// IntBuffer (IntBuffer.cs): not a Tensor, because they are not differentiable and not float.
//
//   loss = (1/N) Σ_i [lse(z_i) − Σ_c q_ic·z_ic],  q_i = (1 − ε)·onehot(y_i) + ε/C   (PyTorch semantics)
//   ∂z = g·(softmax(z) − q)/N — written by the forward kernel, scaled by the upstream g in backward.
using Activations.Engine.Autograd;
using Activations.Kernels.Loss;

namespace Activations.Engine;

public sealed partial class Tensor
{
    /// <summary>
    /// Mean softmax cross-entropy of <paramref name="logits"/> (N, C) against <paramref name="labels"/>
    /// (N class indices in [0, C); an index outside gives NaN), with label smoothing ε in [0, 1].
    /// Returns a scalar. Fused and numerically stable (log-sum-exp); the gradient comes from the same kernel.
    /// </summary>
    public static Tensor SoftmaxCrossEntropy(Tensor logits, IntBuffer labels, float labelSmoothing = 0f)
    {
        var (n, classes) = ClassificationSizes(logits, labels, "softmax_cross_entropy");
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"label smoothing must be in [0, 1]; got {labelSmoothing}");
        var device = logits.Device;
        var kernels = device.Kernels.Get<SoftmaxCrossEntropyKernels>();
        bool needGrad = GradMode.IsEnabled && logits.RequiresGrad;
        var saved = needGrad ? new Tensor(device, logits.Shape) { Name = "(softmax − q)/N" } : null;   // (softmax − q)/N, (N, C)
        Tensor mean;
        using (var rowLoss = new Tensor(device, new Shape(n)))
        {
            kernels.Forward(logits.View, labels.View, rowLoss.View, saved is null ? default : saved.View,
                n, classes, labelSmoothing, 1f / Math.Max(1, n));
            mean = ReduceSum(rowLoss, [0], 1f / Math.Max(1, n));
        }
        var loss = mean.ViewAs(new Shape([]));
        mean.Dispose();
        if (saved is null) return loss.Named("softmax_cross_entropy");
        return loss.Record("softmax_cross_entropy", [logits], g =>
        {
            var gz = new Tensor(g.Device, logits.Shape);
            kernels.ScaleByDeviceScalar(saved.View, g.View, gz.View);
            logits.AccumulateGrad(gz, owned: true);
        }, saved);
    }

    /// <summary>
    /// How many rows of <paramref name="logits"/> (N, C) have their first maximal logit at their
    /// label: a scalar on the device (not recorded), so that an epoch can sum it without host copies.
    /// </summary>
    public static Tensor CorrectCount(Tensor logits, IntBuffer labels)
    {
        var (n, classes) = ClassificationSizes(logits, labels, "correct_count");
        using var correct = new Tensor(logits.Device, new Shape(n));
        logits.Device.Kernels.Get<SoftmaxCrossEntropyKernels>().Correct(logits.View, labels.View, correct.View, n, classes);
        var sum = ReduceSum(correct, [0], 1f);
        var count = sum.ViewAs(new Shape([]));
        sum.Dispose();
        return count.Named("correct_count");
    }

    private static (int N, int C) ClassificationSizes(Tensor logits, IntBuffer labels, string op)
    {
        logits.ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.IsDisposed) throw new ObjectDisposedException(nameof(labels), $"{op}: the label buffer was disposed");
        if (logits.Rank != 2 || logits.Shape[1] == 0)
            throw new ArgumentException($"{op} needs logits (N, C) with C ≥ 1; got {logits.Describe()}");
        if (labels.Length != logits.Shape[0])
            throw new ArgumentException($"{op}: {labels.Length} labels for logits {logits.Describe()} ({logits.Shape[0]} rows)");
        return (logits.Shape[0], logits.Shape[1]);
    }
}
