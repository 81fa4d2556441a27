// SiLU (swish): x·σ(x); backward σ(x)(1 + x(1 − σ(x))).
namespace Activations.Kernels.Activations;

/// <summary>SiLU (swish): x·σ(x).</summary>
public readonly struct SiLU : IActivation
{
    public static string Name => "silu";
    public static string Formula => "x·σ(x)";
    public static IReadOnlyList<string> Aliases { get; } = ["swish"];
    public static IReadOnlyList<ActivationParameter> Parameters { get; } = [];
    public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T> => x * T.Logistic(x);
    public static bool HasBackward => true;

    public static float Backward(float x, float y, ActivationParameters<float> p)
    {
        float s = ExpMath.Logistic(x);
        return s * (1f + x * (1f - s));
    }

    public static float ParamGrad(int k, float x, float y, ActivationParameters<float> p) => 0f;
}
