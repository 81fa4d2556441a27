// ELU: x for x ≥ 0, α(eˣ − 1) for x < 0 (α > 0). Backward from the output: dy/dx = y + α,
// dy/dα = y/α. exp only ever sees x ≤ 0.
namespace Activations.Kernels.Activations;

/// <summary>ELU: x for x ≥ 0, α(eˣ − 1) for x &lt; 0.</summary>
public readonly struct ELU : IActivation
{
    public static string Name => "elu";
    public static string Formula => "x for x ≥ 0, α(eˣ − 1) for x < 0";
    public static IReadOnlyList<ActivationParameter> Parameters { get; } = [ActivationParameter.PositiveAlpha()];
    public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T> => T.IfNegative(x, p.P0 * T.Expm1NonPositive(x), x);
    public static bool HasBackward => true;
    public static float Backward(float x, float y, ActivationParameters<float> p) => BitSelect.IfNegative(x, y + p.P0, 1f);
    public static float ParamGrad(int k, float x, float y, ActivationParameters<float> p) => BitSelect.IfNegative(x, y / p.P0, 0f);
}
