// Mish (Misra 2019): x·tanh(softplus(x)), with its backward derived (a worked example).
// Softplus as max(x, 0) + ln(1 + e^{−|x|}), so nothing overflows; tanh saturates to 1 for x ≫ 0.
namespace Activations.Kernels.Activations;

/// <summary>Mish: x·tanh(ln(1 + eˣ)).</summary>
public readonly struct Mish : IActivation
{
    public static string Name => "mish";
    public static string Formula => "x·tanh(ln(1 + eˣ))";
    public static IReadOnlyList<ActivationParameter> Parameters { get; } = [];

    public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T>
    {
        T softplus = T.IfNegative(x, 0f, x) + T.Log1pUnit(T.ExpNonPositive(T.IfNegative(x, x, -x)));
        return x * T.Tanh(softplus);
    }
}
