// Every activation's forward, backward (dx) and parameter-gradient kernels, hand-written and derived,
// against the double-precision references of its own forward, on every device: awkward lengths,
// special inputs, per-layer and per-channel parameters, saturation at large |x|, and the documented
// behaviour at x = 0.
using Activations.Engine;
using Activations.Kernels;
using Activations.Kernels.Activations;
using Activations.Tests.Infrastructure;
using static Activations.Tests.Infrastructure.ActivationHarness;

namespace Activations.Tests.Activations;

public class ActivationKernelTests
{
    /// <summary>0, 1, odd, around the group sizes (4 on the CPU accelerator, 256 on OpenCL/CUDA), and ~100k.</summary>
    public static readonly int[] Lengths = [0, 1, 2, 3, 7, 17, 255, 256, 257, 1023, 4099, 100_003];

    public static readonly float[] Alphas = [0.1f, 1f, 2.5f];

    [SkippableTheory]
    [MemberData(nameof(DevicesAndKinds), MemberType = typeof(ActivationHarness))]
    public void MatchesReferenceAtEveryLength(string device, string kind)
    {
        var d = TestDevices.Get(device);
        foreach (int n in Lengths)
            foreach (float alpha in Alphas)
                CheckKernels(d, kind, TestInputs.Mixed(n, (ulong)n), [alpha]);
    }

    [SkippableTheory]
    [MemberData(nameof(DevicesAndKinds), MemberType = typeof(ActivationHarness))]
    public void MatchesReferenceOnSpecialValues(string device, string kind)
    {
        var d = TestDevices.Get(device);
        foreach (float alpha in Alphas)
            CheckKernels(d, kind, TestInputs.Specials, [alpha]);
    }

    [SkippableTheory]
    [MemberData(nameof(DevicesAndKinds), MemberType = typeof(ActivationHarness))]
    public void NaNPropagatesThroughForward(string device, string kind)
    {
        var d = TestDevices.Get(device);
        foreach (float alpha in Alphas)
            Assert.True(float.IsNaN(Evaluate(d, kind, [1f, float.NaN, -1f], alpha)[1].Y), $"{kind}(NaN; α={alpha}) must be NaN");
    }

    [SkippableTheory]
    [MemberData(nameof(DevicesAndKinds), MemberType = typeof(ActivationHarness))]
    public void PerChannelAlphaNchw(string device, string kind)
    {
        var d = TestDevices.Get(device);
        // (N, C, H, W) = (3, 4, 5, 7): channel of element i is (i / (H·W)) mod C.
        CheckKernels(d, kind, TestInputs.Mixed(3 * 4 * 5 * 7, 11), [0.1f, 1f, 2.5f, 0.7f], inner: 5 * 7, context: ", NCHW (3,4,5,7)");
    }

    [SkippableTheory]
    [MemberData(nameof(DevicesAndKinds), MemberType = typeof(ActivationHarness))]
    public void PerChannelAlphaNc(string device, string kind)
    {
        var d = TestDevices.Get(device);
        // (N, C) = (37, 3): channel of element i is i mod C.
        CheckKernels(d, kind, TestInputs.Mixed(37 * 3, 12), [2.5f, 0.1f, 1f], inner: 1, context: ", NC (37,3)");
    }

    [SkippableTheory]
    [MemberData(nameof(DevicesAndKinds), MemberType = typeof(ActivationHarness))]
    public void ThroughTensorActivatePerLayerAlpha(string device, string kind)
    {
        var d = TestDevices.Get(device);
        CheckActivate(d, kind, [5, 13], TestInputs.Mixed(65, 13), [2.5f]);
        CheckActivate(d, kind, [4099], TestInputs.Mixed(4099, 14), [0.1f], channelAxis: 0);
    }

    [SkippableTheory]
    [MemberData(nameof(DevicesAndKinds), MemberType = typeof(ActivationHarness))]
    public void ThroughTensorActivatePerChannelAlpha(string device, string kind)
    {
        var d = TestDevices.Get(device);
        CheckActivate(d, kind, [3, 4, 5, 7], TestInputs.Mixed(420, 15), [0.1f, 1f, 2.5f, 0.7f], channelAxis: 1);
        CheckActivate(d, kind, [37, 3], TestInputs.Mixed(111, 16), [2.5f, 0.1f, 1f], channelAxis: 1);
        CheckActivate(d, kind, [2, 3, 5, 4], TestInputs.Mixed(120, 17), [0.3f, 1f, 2.5f, 0.1f], channelAxis: -1);
    }

    /// <summary>
    /// Saturating activations stay finite far out: exp is only evaluated where it cannot overflow, and
    /// sigmoid/SiLU/tanh/GELU saturate. Forward, dx and dα at ±1e4, around exp's overflow point, and
    /// out to ±float.MaxValue (where x³ and x² overflow inside GELU). Infinite inputs are not covered.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(DevicesAndKinds), MemberType = typeof(ActivationHarness))]
    public void FiniteAtLargeMagnitudes(string device, string kind)
    {
        var d = TestDevices.Get(device);
        var a = Of(kind);
        float[] x = [1e4f, -1e4f, 1e3f, -1e3f, 100f, -100f, 89f, -89f, 88.7f, -88.7f, 50f, -50f, 20f, -20f,
            1e20f, -1e20f, float.MaxValue, -float.MaxValue];
        foreach (float alpha in Alphas)
            foreach (bool derived in Paths(a))
            {
                var r = Evaluate(d, kind, x, alpha, derived);
                for (int i = 0; i < x.Length; i++)
                {
                    var p = ParametersAt(a, [alpha], 0, 1);
                    bool fits(double v) => Math.Abs(v) <= float.MaxValue;
                    if (!fits(a.Reference(x[i], p)) || !fits(a.ReferenceDerivative(0, x[i], p))) continue; // overflows rightly (LeakyReLU's α·x)
                    string at = $"{kind}{(derived ? " (derived)" : "")} at x = {x[i]}, α = {alpha}";
                    Assert.True(float.IsFinite(r[i].Y), $"{at}: y = {r[i].Y}");
                    Assert.True(float.IsFinite(r[i].Dx), $"{at}: dy/dx = {r[i].Dx}");
                    Assert.True(float.IsFinite(r[i].G), $"{at}: dy/dp = {r[i].G}");
                }
            }
    }

    /// <summary>
    /// The limits the saturating activations reach at ±1e4: sigmoid → 1/0, tanh → ±1 (slope 0),
    /// SiLU/GELU → x/0, and the α-activations → x for x &gt; 0 and −α (slope 0, dα = −1) for x ≪ 0.
    /// Within a few ulps (an OpenCL tanh may stop an ulp short of ±1; TaLU's slope α(1 − (y/α)²) then
    /// keeps about α·2.4e-7), relative for the ±1e4 outputs.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void SaturationValuesAtLargeMagnitudes(string device)
    {
        var d = TestDevices.Get(device);
        AssertNear([(1, 0, 0), (0, 0, 0)], Evaluate(d, "sigmoid", [1e4f, -1e4f], 1f), "sigmoid", Ulps(d, 2e-7));
        AssertNear([(1, 0, 0), (-1, 0, 0)], Evaluate(d, "tanh", [1e4f, -1e4f], 1f), "tanh", Ulps(d, 2e-7));
        AssertNear([(1e4, 1, 0), (0, 0, 0)], Evaluate(d, "silu", [1e4f, -1e4f], 1f), "silu", Ulps(d, 2e-7));
        AssertNear([(1e4, 1, 0), (0, 0, 0)], Evaluate(d, "gelu", [1e4f, -1e4f], 1f), "gelu", Ulps(d, 2e-7));
        foreach (var kind in new[] { "elu", "talu", "exlu" })
            foreach (float alpha in Alphas)
                AssertNear([(1e4, 1, 0), (-alpha, 0, -1)], Evaluate(d, kind, [1e4f, -1e4f], alpha), $"{kind} α={alpha}",
                    tol: Ulps(d, 3e-7 * Math.Max(1, alpha)));
    }

    /// <summary>
    /// GELU(x) = x·Φ̃(x) vanishes for x ≪ 0, and so does its slope: computing it as 0.5x(1 + tanh u)
    /// leaves x times the rounding error of tanh near −1 (−3e-4 at −1e4 with PoCL's tanh).
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void GeluVanishesForLargeNegativeInputs(string device)
    {
        var d = TestDevices.Get(device);
        float[] x = [-10f, -30f, -100f, -1e3f, -1e4f, -1e6f];
        var r = Evaluate(d, "gelu", x, 1f);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(r[i].Y) <= 1e-12 && Math.Abs(r[i].Dx) <= 1e-12, $"gelu({x[i]}) = {r[i].Y}, slope {r[i].Dx}; expected ≈ 0");
    }

    /// <summary>A few-ulp tolerance, or CUDA's approximate-math tolerance where that applies.</summary>
    private static double Ulps(Device d, double tol) => Math.Max(tol, d.Kind == BackendKind.Cuda ? Tolerances.CudaApproxRel : 0);

    private static void AssertNear((double Y, double Dx, double G)[] expected, (float Y, float Dx, float G)[] actual, string what,
        double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            bool near(double ev, double av) => Math.Abs(av - ev) <= tol * Math.Max(1, Math.Abs(ev));
            Assert.True(near(e.Y, a.Y) && near(e.Dx, a.Dx) && near(e.G, a.G), $"{what}[{i}]: expected {e}, got {a}");
        }
    }

    /// <summary>
    /// Documented behaviour at x = 0 (and −0): the α-activations take the identity branch, so
    /// y = 0, dy/dx = 1 and dy/dα = 0 exactly, for every α.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void AtZeroAlphaActivationsAreIdentity(string device)
    {
        var d = TestDevices.Get(device);
        foreach (var kind in new[] { "talu", "exlu", "elu", "leakyrelu" })
            foreach (float alpha in Alphas)
                foreach (var (y, dx, g) in Evaluate(d, kind, [0f, -0f], alpha))
                    Assert.True(y == 0f && dx == 1f && g == 0f, $"{kind} at ±0 (α={alpha}): y={y}, dy/dx={dx}, dy/dα={g}; expected 0, 1, 0");
    }

    /// <summary>The other activations at x = ±0: ReLU's slope there is 0 (as in PyTorch); the smooth ones are exact.</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void AtZeroOtherActivations(string device)
    {
        var d = TestDevices.Get(device);
        var expected = new Dictionary<string, (float Y, float Dx)>
        {
            ["relu"] = (0f, 0f),
            ["tanh"] = (0f, 1f),
            ["sigmoid"] = (0.5f, 0.25f),
            ["gelu"] = (0f, 0.5f),
            ["silu"] = (0f, 0.5f),
        };
        foreach (var (kind, (ey, edx)) in expected)
            foreach (var (y, dx, g) in Evaluate(d, kind, [0f, -0f], 1f))
                Assert.True(y == ey && dx == edx && g == 0f, $"{kind} at ±0: y={y}, dy/dx={dx}, dy/dα={g}; expected {ey}, {edx}, 0");
    }

    /// <summary>ExLU's slope is continuous at 0 for every α (e^{x/α} → 1), unlike TaLU's (α at 0⁻).</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ExLUSlopeIsContinuousAtZero(string device)
    {
        var d = TestDevices.Get(device);
        foreach (float alpha in Alphas)
        {
            var r = Evaluate(d, "exlu", [-1e-6f, 1e-6f], alpha);
            Assert.InRange(r[0].Dx, 1f - 1e-4f, 1f + 1e-4f);
            Assert.Equal(1f, r[1].Dx);
            Assert.Equal(alpha, Evaluate(d, "talu", [-1e-6f], alpha)[0].Dx, 1e-4f);
        }
    }
}
