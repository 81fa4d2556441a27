// ReLU: max(x, 0), written as x for x > 0, else 0·x: the slope at 0 is 0 (as in PyTorch), derived
// or hand-written, and 0·x carries a NaN through (a plain 0 would drop it).
namespace Activations.Kernels.Activations;

/// <summary>ReLU: max(x, 0).</summary>
public readonly struct ReLU : IActivation
{
    public static string Name => "relu";
    public static string Formula => "max(x, 0)";
    public static IReadOnlyList<ActivationParameter> Parameters { get; } = [];
    public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T> => T.IfPositive(x, x, 0f * x);
    public static bool HasBackward => true;
    public static float Backward(float x, float y, ActivationParameters<float> p) => BitSelect.IfPositive(x, 1f, 0f * x);
    public static float ParamGrad(int k, float x, float y, ActivationParameters<float> p) => 0f;
}
