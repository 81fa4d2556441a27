// Learnable α of ELU, TaLU and ExLU stays in the activations' domain (α > 0): the ClampMin kernel
// against its reference on every accelerator, and the layer projection that uses it.
using Activations.Engine;
using Activations.Engine.Nn;
using Activations.Kernels.Tensor;
using Activations.Tests.Infrastructure;
using Activations.Kernels.Activations;

namespace Activations.Tests.Engine;

public class ConstraintTests
{
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ClampMinMatchesReferenceAndKeepsNaN(string device)
    {
        var d = TestDevices.Get(device);
        foreach (int n in new[] { 1, 7, 4097 })
        {
            var host = CounterRng.Uniform(5, n, -1f, 1f);
            host[0] = float.NaN;
            using var t = Tensor.FromArray(d, host, n);
            d.Kernels.Get<AffineKernels>().ClampMin(t.View, 0.25f);
            var got = t.ToArray();
            for (int i = 0; i < n; i++)
            {
                float want = AffineKernels.ClampMinReference(host[i], 0.25f);
                Assert.True(want.Equals(got[i]), $"n={n}, i={i}: {got[i]} vs {want}");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ProjectionKeepsLearnableAlphaPositiveAndLeavesTheRestAlone(string device)
    {
        var d = TestDevices.Get(device);
        using var talu = new ActivationLayer(d, ActivationInfo.Of<TaLU>(), 0.5f, learnable: true, channels: 3);
        using var exlu = new ActivationLayer(d, ActivationInfo.Of<ExLU>(), 0.5f, learnable: true);
        using var leaky = new ActivationLayer(d, ActivationInfo.Of<LeakyReLU>(), 0.1f, learnable: true);
        using var fixedElu = new ActivationLayer(d, ActivationInfo.Of<ELU>(), 0.5f);
        talu.Alpha.CopyFrom([-0.3f, 0.004f, 2f]);   // as an optimizer step might leave them
        exlu.Alpha.CopyFrom([-1e-3f]);
        leaky.Alpha.CopyFrom([-0.2f]);              // a negative slope is a valid LeakyReLU
        foreach (var m in new Module[] { talu, exlu, leaky, fixedElu }) m.ProjectParameters();
        Assert.Equal([ActivationParameter.PositiveAlpha().LearnedMin, ActivationParameter.PositiveAlpha().LearnedMin, 2f], talu.Alpha.ToArray());
        Assert.Equal([ActivationParameter.PositiveAlpha().LearnedMin], exlu.Alpha.ToArray());
        Assert.Equal([-0.2f], leaky.Alpha.ToArray());
        Assert.Equal([0.5f], fixedElu.Alpha.ToArray());
    }
}
