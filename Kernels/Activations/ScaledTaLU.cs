// Scaled TaLU, as the original notebook coded it: x for x > 0, tanh(x)·e^{3x} for x ≤ 0. Not
// monotonic: f′ = e^{3x}(1 − t² + 3t) with t = tanh x vanishes at t = (3 − √13)/2, so f has its
// minimum ≈ −0.118 at x ≈ −0.3125, and tends to 0 from below as x → −∞. Continuous at 0 with slope
// 1 from both sides. Both exponentials only ever see x ≤ 0 (x > 0 is taken as 0 in the branch the
// select throws away), so ±1e4 stays finite.
namespace Activations.Kernels.Activations;

/// <summary>Scaled TaLU: x for x &gt; 0, tanh(x)·e^{3x} for x ≤ 0.</summary>
public readonly struct ScaledTaLU : IActivation
{
    public static string Name => "scaledtalu";
    public static string Formula => "x for x > 0, tanh(x)·e^{3x} for x ≤ 0";
    public static IReadOnlyList<ActivationParameter> Parameters { get; } = [];
    public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T> =>
        T.IfPositive(x, x, T.TanhNonPositive(x) * T.ExpNonPositive(3f * x));
}
