// Softmax cross-entropy against double references: values, analytic gradients, finite differences,
// label smoothing, extreme logits and bad labels (the correct-prediction count is a `verify` case).
using Activations.Kernels;
using Activations.Engine;
using Activations.Kernels.Loss;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.Loss;

public class SoftmaxCrossEntropyTests
{
    private static double[] Logits(ulong seed, int n, float scale = 3f) =>
        CounterRng.Uniform(seed, n, -scale, scale).Select(v => (double)v).ToArray();

    private static int[] Labels(ulong seed, int n, int classes) =>
        Enumerable.Range(0, n).Select(i => (int)(CounterRng.Uniform(seed, (ulong)i) * classes)).ToArray();

    /// <summary>Loss value and the gradient left in logits.Grad, both against the reference.</summary>
    private static void CheckValuesAndGradient(string device, int n, int classes, float smoothing, float scale = 3f)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var z = Logits((ulong)(n * classes), n * classes, scale);
        var y = Labels(7, n, classes);
        using var labels = IntBuffer.FromArray(d, y);
        var logits = Tensor.FromArray(d, z.Select(v => (float)v).ToArray(), n, classes);
        logits.RequiresGrad = true;
        var loss = Tensor.SoftmaxCrossEntropy(logits, labels, smoothing);
        loss.Backward();
        var (refLoss, refGrad) = SoftmaxCrossEntropyReference.Compute(z.Select(v => (double)(float)v).ToArray(), y, classes, smoothing);
        var (rel, abs) = Tolerances.Transcendental(d.Kind);
        Expect.Close([loss.Item()], [refLoss], 10 * rel, abs, "loss");
        Expect.Close(logits.Grad!.ToArray(), refGrad, 10 * rel, abs / n, "∂logits");
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void MatchesReference(string device)
    {
        CheckValuesAndGradient(device, 5, 7, 0f);
        CheckValuesAndGradient(device, 64, 10, 0.1f);
        CheckValuesAndGradient(device, 3, 1, 0f);       // one class: loss 0, gradient 0
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void StableForExtremeLogits(string device) => CheckValuesAndGradient(device, 6, 4, 0.2f, scale: 1e4f);

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void HandComputedValues(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        using var labels = IntBuffer.FromArray(d, [0, 1]);
        var logits = Tensor.FromArray(d, [0f, 0f, 0f, 0f], 2, 2);
        Assert.Equal(Math.Log(2), Tensor.SoftmaxCrossEntropy(logits, labels).Item(), 6);
        // Logits (ln 3, 0), label 0: p = (3/4, 1/4); ε = 0.5 → q = (3/4, 1/4) and the loss is the entropy of q.
        using var one = IntBuffer.FromArray(d, [0]);
        var z = Tensor.FromArray(d, [(float)Math.Log(3), 0f], 1, 2);
        double entropy = -(0.75 * Math.Log(0.75) + 0.25 * Math.Log(0.25));
        Assert.Equal(entropy, Tensor.SoftmaxCrossEntropy(z, one, 0.5f).Item(), 5);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void FiniteDifferences(string device)
    {
        var d = TestDevices.Get(device);
        var y = Labels(3, 4, 5);
        using var labels = IntBuffer.FromArray(d, y);
        // × 3 checks that the upstream gradient scales the fused one.
        GradCheck.Check(d, [Logits(11, 20)], [[4, 5]],
            t => Tensor.SoftmaxCrossEntropy(t[0], labels, 0.1f) * 3f,
            x => 3 * SoftmaxCrossEntropyReference.Compute(x[0], y, 5, 0.1).Loss);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void LabelOutOfRangeGivesNaN(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        using var labels = IntBuffer.FromArray(d, [1, 3]);
        var logits = Tensor.Zeros(d, 2, 3);
        Assert.True(float.IsNaN(Tensor.SoftmaxCrossEntropy(logits, labels).Item()));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ClearErrors(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        using var labels = IntBuffer.FromArray(d, [0, 1, 2]);
        var logits = Tensor.Zeros(d, 2, 3);
        Assert.Contains("3 labels", Assert.Throws<ArgumentException>(() => Tensor.SoftmaxCrossEntropy(logits, labels)).Message);
        using var two = IntBuffer.FromArray(d, [0, 1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.SoftmaxCrossEntropy(logits, two, 1.5f));
    }
}
