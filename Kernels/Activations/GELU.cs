// GELU, tanh form: 0.5x(1 + tanh u), u = √(2/π)(x + 0.044715x³). Evaluated as x·σ(2u), which is
// the same function (0.5(1 + tanh u) = σ(2u)) without the cancellation of 1 + tanh u for u ≪ 0:
// an accelerator tanh that stops an ulp short of ±1 (PoCL's does) otherwise leaves x·(1 ulp) in
// the output (GELU(−1e4) = −3e-4) and x³·(1 ulp) in the slope (GELU'(1e4) = 6380).
// Slope: σ + 2x·σ(1 − σ)·u', u' = √(2/π)(1 + 3·0.044715x²); the product is skipped where σ(1 − σ)
// is 0 so that huge |x| (x² = ∞) gives 0 or 1, not NaN. σ comes from the saved output, y/x (one
// division instead of an exp), and is ½ where |x| < 1e-30 (there y/x would be 0/0 or subnormal).
namespace Activations.Kernels.Activations;

/// <summary>GELU (tanh approximation).</summary>
public readonly struct GELU : IActivation
{
    private const float C = 0.7978845608028654f; // √(2/π)
    private const float K = 0.044715f;
    public static string Name => "gelu";
    public static string Formula => "0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))";
    public static IReadOnlyList<ActivationParameter> Parameters { get; } = [];
    public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T> => x * T.Logistic(2f * C * (x + K * x * x * x));
    public static bool HasBackward => true;

    public static float Backward(float x, float y, ActivationParameters<float> p)
    {
        float s = MathF.Abs(x) < 1e-30f ? 0.5f : y / x;
        float sp = s * (1f - s);
        return sp == 0f ? s : s + 2f * C * x * sp * (1f + 3f * K * x * x);
    }

    public static float ParamGrad(int k, float x, float y, ActivationParameters<float> p) => 0f;
}
