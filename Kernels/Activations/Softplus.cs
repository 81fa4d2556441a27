// Softplus, ln(1 + eˣ), written in the new style with its backward derived (a worked example).
// As max(x, 0) + ln(1 + e^{−|x|}): the exponential only sees −|x| ≤ 0, so nothing overflows, and
// ln(1 + u) with u ∈ (0, 1] keeps full relative accuracy for x ≪ 0 (softplus(−20) ≈ 2.1e-9).
namespace Activations.Kernels.Activations;

/// <summary>Softplus: ln(1 + eˣ).</summary>
public readonly struct Softplus : IActivation
{
    public static string Name => "softplus";
    public static string Formula => "ln(1 + eˣ)";
    public static IReadOnlyList<ActivationParameter> Parameters { get; } = [];

    public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T>
    {
        T negAbs = T.IfNegative(x, x, -x);
        return T.IfNegative(x, 0f, x) + T.Log1pUnit(T.ExpNonPositive(negAbs));
    }
}
