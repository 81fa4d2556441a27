// Finite-difference checks of every activation's gradients through the engine: with respect to x
// and, for those with a parameter, with respect to α (one per layer, or one per channel). The loss
// is Σ w ⊙ f(x; α) with fixed non-uniform weights w, so every element's gradient differs. Inputs
// keep |x| ≥ 0.1, away from the kink of the ReLU-like functions at 0.
using Activations.Engine;
using Activations.Kernels.Activations;
using Activations.Tests.Infrastructure;
using static Activations.Tests.Infrastructure.ActivationHarness;

namespace Activations.Tests.Activations;

public class ActivationGradTests
{
    [SkippableTheory]
    [MemberData(nameof(DevicesAndKinds), MemberType = typeof(ActivationHarness))]
    public void PerLayerAlpha(string device, string kind) =>
        CheckGrad(TestDevices.Get(device), kind, [3, 5], [1.7]);

    [SkippableTheory]
    [MemberData(nameof(DevicesAndKinds), MemberType = typeof(ActivationHarness))]
    public void PerLayerSmallAlpha(string device, string kind) =>
        CheckGrad(TestDevices.Get(device), kind, [11], [0.3], channelAxis: 0);

    [SkippableTheory]
    [MemberData(nameof(DevicesAndKinds), MemberType = typeof(ActivationHarness))]
    public void PerChannelAlphaNchw(string device, string kind) =>
        CheckGrad(TestDevices.Get(device), kind, [2, 3, 2, 2], [0.5, 1.3, 2.2]);

    [SkippableTheory]
    [MemberData(nameof(DevicesAndKinds), MemberType = typeof(ActivationHarness))]
    public void PerChannelAlphaNc(string device, string kind) =>
        CheckGrad(TestDevices.Get(device), kind, [4, 3], [2.5, 0.1, 1.0]);

    /// <summary>x.Activate(kind, p) with a fixed (not learnable) parameter: only x has a gradient.</summary>
    [SkippableTheory]
    [MemberData(nameof(DevicesAndKinds), MemberType = typeof(ActivationHarness))]
    public void FixedParameter(string device, string kind)
    {
        var d = TestDevices.Get(device);
        var a = Of(kind);
        const float p = 0.7f;
        var ps = ParametersAt(a, [p], 0, 1);
        var x = TestInputs.AwayFromZero(9, 21);
        var w = TestInputs.UniformD(9, 22, 0.5, 1.5);
        GradCheck.Check(d, [x], [[9]],
            t => (t[0].Activate(a, p) * Tensor.FromArray(d, TestInputs.ToFloat(w), 9)).Sum(),
            v => v[0].Select((xi, i) => w[i] * a.Reference(xi, ps)).Sum());
    }

    /// <summary>Checks ∂/∂x and (where the activation has one) ∂/∂α of Σ w ⊙ f(x; α) against finite differences.</summary>
    private static void CheckGrad(Device d, string kind, int[] shape, double[] alpha, int channelAxis = 1)
    {
        var a = Of(kind);
        var s = new Shape(shape);
        int n = s.Length;
        int inner = alpha.Length == 1 ? 1 : s.Product(s.Axis(channelAxis) + 1, s.Rank);
        var x = TestInputs.AwayFromZero(n, (ulong)(n + alpha.Length));
        var w = TestInputs.UniformD(n, 5, 0.5, 1.5);
        // The first parameter varies per channel; the others are checked at their defaults, per channel too.
        int channels = alpha.Length;
        var all = a.HasParameter ? Parameters(a, TestInputs.ToFloat(alpha)).Select(v => (double)v).ToArray() : alpha;
        GradCheck.Check(d, [x, all], [shape, [all.Length]],
            t => (t[0].Activate(a, t[1], channelAxis) * Tensor.FromArray(d, TestInputs.ToFloat(w), shape)).Sum(),
            v => Enumerable.Range(0, n).Sum(i =>
            {
                int c = channels == 1 ? 0 : i / inner % channels;
                var p = Enumerable.Range(0, a.Parameters.Count).Select(k => v[1][k * channels + c]).ToArray();
                return w[i] * a.Reference(v[0][i], p);
            }),
            requiresGrad: [true, a.HasParameter]);
    }
}
