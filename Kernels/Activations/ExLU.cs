// ExLU: x for x ≥ 0, α(e^{x/α} − 1) for x < 0 (α > 0). Its derivative e^{x/α} tends to 1 at 0⁻
// for every α, so it is continuous at 0. Backward from the output alone: dy/dx = y/α + 1, selected on
// y's sign (the same slope as on x's: where y underflows to −0 for x < 0, y/α + 1 is 1 too);
// dy/dα = (e^{x/α} − 1) − (x/α)e^{x/α} = y/α − (x/α)(y/α + 1). exp only ever sees x/α < 0.
namespace Activations.Kernels.Activations;

/// <summary>ExLU: x for x ≥ 0, α(e^{x/α} − 1) for x &lt; 0.</summary>
public readonly struct ExLU : IActivation
{
    public static string Name => "exlu";
    public static string Formula => "x for x ≥ 0, α(e^{x/α} − 1) for x < 0";
    public static IReadOnlyList<ActivationParameter> Parameters { get; } = [ActivationParameter.PositiveAlpha()];
    public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T> => T.IfNegative(x, p.P0 * T.Expm1NonPositive(x / p.P0), x);
    public static bool HasBackward => true;
    public static float Backward(float x, float y, ActivationParameters<float> p) => BitSelect.IfNegative(y, y / p.P0 + 1f, 1f);

    public static float ParamGrad(int k, float x, float y, ActivationParameters<float> p)
    {
        float e = y / p.P0 + 1f;
        return BitSelect.IfNegative(x, (e - 1f) - x * (e / p.P0), 0f); // not (x/α)·e: x/α overflows to −∞ for x ≪ 0, small α, and ∞·0 = NaN
    }
}
