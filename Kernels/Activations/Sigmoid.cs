// The logistic sigmoid 1/(1 + e^{−x}), from e^{−|x|} only, so large |x| saturates to 0 or 1;
// backward from the output: y(1 − y).
namespace Activations.Kernels.Activations;

/// <summary>Logistic sigmoid 1/(1 + e^{−x}).</summary>
public readonly struct Sigmoid : IActivation
{
    public static string Name => "sigmoid";
    public static string Formula => "1/(1 + e^{−x})";
    public static IReadOnlyList<ActivationParameter> Parameters { get; } = [];
    public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T> => T.Logistic(x);
    public static bool HasBackward => true;
    public static float Backward(float x, float y, ActivationParameters<float> p) => y * (1f - y);
    public static float ParamGrad(int k, float x, float y, ActivationParameters<float> p) => 0f;
}
