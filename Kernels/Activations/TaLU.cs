// TaLU: x for x ≥ 0, α·tanh(x) for x < 0 (α > 0). Backward from the output (tanh' = 1 − t²):
// dy/dx = α(1 − (y/α)²); dy/dα = tanh(x) = y/α. No second tanh.
namespace Activations.Kernels.Activations;

/// <summary>TaLU: x for x ≥ 0, α·tanh(x) for x &lt; 0.</summary>
public readonly struct TaLU : IActivation
{
    public static string Name => "talu";
    public static string Formula => "x for x ≥ 0, α·tanh(x) for x < 0";
    public static IReadOnlyList<ActivationParameter> Parameters { get; } = [ActivationParameter.PositiveAlpha()];
    public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T> => T.IfNegative(x, p.P0 * T.TanhNonPositive(x), x);
    public static bool HasBackward => true;

    public static float Backward(float x, float y, ActivationParameters<float> p)
    {
        float t = y / p.P0;
        return BitSelect.IfNegative(x, p.P0 * (1f - t * t), 1f);
    }

    public static float ParamGrad(int k, float x, float y, ActivationParameters<float> p) => BitSelect.IfNegative(x, y / p.P0, 0f);
}
