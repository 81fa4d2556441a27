// LeakyReLU: x for x ≥ 0, slope·x for x < 0; the slope may be learned.
namespace Activations.Kernels.Activations;

/// <summary>LeakyReLU: x for x ≥ 0, p·x for x &lt; 0 (p is the negative slope).</summary>
public readonly struct LeakyReLU : IActivation
{
    public static string Name => "leakyrelu";
    public static string Formula => "x for x ≥ 0, slope·x for x < 0";
    public static IReadOnlyList<ActivationParameter> Parameters { get; } = [new("slope", 0.01f)];
    public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T> => T.IfNegative(x, p.P0 * x, x);
    public static bool HasBackward => true;
    public static float Backward(float x, float y, ActivationParameters<float> p) => BitSelect.IfNegative(x, p.P0, 1f);
    public static float ParamGrad(int k, float x, float y, ActivationParameters<float> p) => BitSelect.IfNegative(x, x, 0f);
}
