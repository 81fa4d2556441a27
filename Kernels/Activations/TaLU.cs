// TaLU: x for x ≥ 0, α·tanh(x) for x < 0 (α > 0). Backward from the output alone (tanh' = 1 − t²):
// dy/dx = α(1 − (y/α)²); dy/dα = tanh(x) = y/α. No second tanh, and no read of x: y < 0 exactly
// where x < 0, except where α·tanh x underflows to −0 (x within ~1e-45/α of 0), which takes slope 1.
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
        return BitSelect.IfNegative(y, p.P0 * (1f - t * t), 1f);
    }

    public static float ParamGrad(int k, float x, float y, ActivationParameters<float> p) => BitSelect.IfNegative(y, y / p.P0, 0f);
}
