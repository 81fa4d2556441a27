// tanh; backward from the output: 1 − y².
namespace Activations.Kernels.Activations;

/// <summary>tanh x.</summary>
public readonly struct Tanh : IActivation
{
    public static string Name => "tanh";
    public static string Formula => "tanh(x)";
    public static IReadOnlyList<ActivationParameter> Parameters { get; } = [];
    public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T> => T.Tanh(x);
    public static bool HasBackward => true;
    public static float Backward(float x, float y, ActivationParameters<float> p) => 1f - y * y;
    public static float ParamGrad(int k, float x, float y, ActivationParameters<float> p) => 0f;
}
