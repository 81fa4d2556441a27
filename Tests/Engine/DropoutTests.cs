// Dropout: the seeded mask against the CPU reference, its scale, and the gradient through it.
using Activations.Engine;
using Activations.Kernels.Tensor;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.Engine;

public class DropoutTests
{
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void DropoutMaskIsSeededAndScaled(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        int n = 10_007;
        var x = Tensor.Full(d, 2f, n);
        var y = x.Dropout(0.3f, seed: 42).ToArray();
        for (int i = 0; i < n; i++)
            Assert.Equal(2f * DropoutKernels.MaskReference(42, i, 0.3f), y[i]);
        double kept = y.Count(v => v != 0) / (double)n;
        Assert.InRange(kept, 0.67, 0.73);
        Assert.NotEqual(y, x.Dropout(0.3f, seed: 43).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Dropout(1f, 0));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void DropoutGradientUsesTheMask(string device)
    {
        var d = TestDevices.Get(device);
        var x = CounterRng.Uniform(1, 64, -1f, 1f);
        GradCheck.Check(d, [Array.ConvertAll(x, v => (double)v)], [[64]],
            t => (t[0].Dropout(0.5f, 7) * t[0]).Sum(),
            xs => xs[0].Select((v, i) => v * v * DropoutKernels.MaskReference(7, i, 0.5f)).Sum());
    }
}
