// The derivatives, three ways: the kernels' hand-written backward (where an activation has one),
// the kernels' backward derived by dual numbers, and double-precision finite differences of the
// reference. Every activation in the catalog, on every device. A wrong hand-written backward fails
// with the activation's name, the x and the values that disagree (WrongTaLU shows it does).
using Activations.Engine;
using Activations.Kernels;
using Activations.Kernels.Activations;
using Activations.Tests.Infrastructure;
using Xunit.Sdk;
using static Activations.Tests.Infrastructure.ActivationHarness;

namespace Activations.Tests.Activations;

/// <summary>TaLU with a hand-written backward that forgets to square: α(1 − y/α) instead of α(1 − (y/α)²).</summary>
public readonly struct WrongTaLU : IActivation
{
    public static string Name => "wrongtalu";
    public static string Formula => "TaLU, with a wrong backward";
    public static IReadOnlyList<ActivationParameter> Parameters => TaLU.Parameters;
    public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T> => TaLU.Forward(x, p);
    public static bool HasBackward => true;
    public static float Backward(float x, float y, ActivationParameters<float> p) => BitSelect.IfNegative(x, p.P0 * (1f - y / p.P0), 1f);
    public static float ParamGrad(int k, float x, float y, ActivationParameters<float> p) => TaLU.ParamGrad(k, x, y, p);
}

public class ActivationDerivativeTests
{
    /// <summary>Points away from 0, where the piecewise activations have their kink.</summary>
    private static readonly float[] Points = TestInputs.ToFloat(TestInputs.AwayFromZero(997, 31, min: 0.05, max: 6));

    /// <summary>The exact reference derivative (the forward on Dual64) agrees with finite differences, for x and every parameter.</summary>
    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(ActivationHarness))]
    public void ReferenceDerivativeMatchesFiniteDifferences(string kind)
    {
        var a = Of(kind);
        foreach (float first in new[] { 0.3f, 1f, 2.5f })
        {
            var p = ParametersAt(a, [first], 0, 1);
            if (a.HasParameter && a.Parameters[0].Check(a.Name, first) is not null) continue;
            foreach (float x in Points)
                for (int which = 0; which <= a.Parameters.Count; which++)
                {
                    double exact = a.ReferenceDerivative(which, x, p), fd = a.FiniteDifference(which, x, p);
                    Assert.True(Math.Abs(exact - fd) <= 1e-7 + 1e-6 * Math.Abs(fd),
                        $"{a.Name}: d/d{(which == 0 ? "x" : a.Parameters[which - 1].Name)} at x = {x}, p = {string.Join("/", p)}: dual {exact:R}, finite differences {fd:R}");
                }
        }
    }

    /// <summary>Hand-written backward = derived backward = finite differences, for x and every parameter, on every device.</summary>
    [SkippableTheory]
    [MemberData(nameof(DevicesAndKinds), MemberType = typeof(ActivationHarness))]
    public void HandWrittenBackwardMatchesDerivedAndFiniteDifferences(string device, string kind)
    {
        var a = Of(kind);
        Skip.IfNot(a.HasBackward, $"{kind} has no hand-written backward: its derived one is checked by ActivationKernelTests");
        CheckHandWritten(TestDevices.Get(device), a);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void AWrongHandWrittenBackwardFailsNamingTheActivationXAndBothValues(string device)
    {
        var d = TestDevices.Get(device);
        var e = Assert.ThrowsAny<XunitException>(() => CheckHandWritten(d, ActivationInfo.Of<WrongTaLU>()));
        Assert.Contains("wrongtalu", e.Message);
        Assert.Matches(@"at x = -[\d.]+.*hand-written -?[\d.E-]+, derived -?[\d.E-]+, finite differences -?[\d.E-]+", e.Message);
    }

    /// <summary>Compares the two kernel paths with each other and with finite differences of the reference, point by point.</summary>
    private static void CheckHandWritten(Device d, ActivationInfo a)
    {
        var (rel, abs) = Tolerance(d);
        var ones = Enumerable.Repeat(1f, Points.Length).ToArray();
        foreach (float first in new[] { 0.3f, 1f, 2.5f })
        {
            if (a.HasParameter && a.Parameters[0].Check(a.Name, first) is not null) continue;
            var hand = RunKernels(d, a, Points, ones, [first], 1, derived: false);
            var derived = RunKernels(d, a, Points, ones, [first], 1, derived: true);
            var p = ParametersAt(a, [first], 0, 1);
            for (int which = 0; which <= a.Parameters.Count; which++)
            {
                var h = which == 0 ? hand.Dx : hand.G[which - 1];
                var g = which == 0 ? derived.Dx : derived.G[which - 1];
                for (int i = 0; i < Points.Length; i++)
                {
                    double fd = a.FiniteDifference(which, Points[i], p);
                    bool near(double v, double r) => Math.Abs(v - r) <= abs + rel * Math.Abs(r);
                    Assert.True(near(h[i], fd) && near(g[i], fd),
                        $"{a.Name} on {d.Key}: d/d{(which == 0 ? "x" : a.Parameters[which - 1].Name)} at x = {Points[i]:R} (p = {string.Join("/", p)}): "
                        + $"hand-written {h[i]:R}, derived {g[i]:R}, finite differences {fd:R}");
                }
            }
        }
    }
}
