// The activations under study and their peers, one struct each.
//
// Conventions shared by all of them:
// - The negative branch is taken for x < 0 only. So x = 0 (and −0) takes the identity/positive
//   branch: f(0) = 0 for ReLU/LeakyReLU/ELU/TaLU/ExLU, with dy/dx = 1 and dy/dα = 0 there
//   (for ReLU dy/dx = 0 at x = 0, as in PyTorch). A NaN input fails every comparison, takes the
//   identity branch and so propagates.
// - Exponentials are only ever evaluated on non-positive arguments (ExLU, ELU) or in a form that
//   saturates instead of overflowing (sigmoid, SiLU, tanh): ±1e4 never yields Inf or NaN. They come
//   from ExpMath (plain float arithmetic, no library call, the same on every backend), not XMath.
// - The negative branch is computed unconditionally and then selected on the bits (BitSelect):
//   ExpMath accepts any x, a select lets PoCL and GPUs run the kernel without divergence, and on
//   the CPU accelerator (plain .NET, where a float ?: is a jump) nothing mispredicts.
// - Backward uses the saved output y where that avoids a transcendental call.

namespace Activations.Kernels.Activations;

/// <summary>ReLU: max(x, 0).</summary>
public readonly struct ReLU : IActivation
{
    public static string Name => "relu";
    public static bool HasParameter => false;
    public static float Forward(float x, float p) => BitSelect.IfNegative(x, 0f, x);
    public static float Backward(float x, float y, float p) => BitSelect.IfPositive(x, 1f, 0f);
    public static float ParamGrad(float x, float y, float p) => 0f;
    public static double ForwardReference(double x, double p) => x < 0 ? 0 : x;
    public static double BackwardReference(double x, double p) => x > 0 ? 1 : 0;
    public static double ParamGradReference(double x, double p) => 0;
}

/// <summary>LeakyReLU: x for x ≥ 0, p·x for x &lt; 0 (p is the negative slope).</summary>
public readonly struct LeakyReLU : IActivation
{
    public static string Name => "leakyrelu";
    public static bool HasParameter => true;
    public static float Forward(float x, float p) => BitSelect.IfNegative(x, p * x, x);
    public static float Backward(float x, float y, float p) => BitSelect.IfNegative(x, p, 1f);
    public static float ParamGrad(float x, float y, float p) => BitSelect.IfNegative(x, x, 0f);
    public static double ForwardReference(double x, double p) => x < 0 ? p * x : x;
    public static double BackwardReference(double x, double p) => x < 0 ? p : 1;
    public static double ParamGradReference(double x, double p) => x < 0 ? x : 0;
}

/// <summary>ELU: x for x ≥ 0, α(eˣ − 1) for x &lt; 0. Backward from the output: y + α.</summary>
public readonly struct ELU : IActivation
{
    public static string Name => "elu";
    public static bool HasParameter => true;
    public static float Forward(float x, float p)
    {
        float n = p * ExpMath.Expm1NonPositive(x);
        return BitSelect.IfNegative(x, n, x);
    }

    public static float Backward(float x, float y, float p) => BitSelect.IfNegative(x, y + p, 1f);
    public static float ParamGrad(float x, float y, float p) => BitSelect.IfNegative(x, y / p, 0f);
    public static double ForwardReference(double x, double p) => x < 0 ? p * (Math.Exp(x) - 1) : x;
    public static double BackwardReference(double x, double p) => x < 0 ? p * Math.Exp(x) : 1;
    public static double ParamGradReference(double x, double p) => x < 0 ? Math.Exp(x) - 1 : 0;
}

/// <summary>
/// TaLU: x for x ≥ 0, α·tanh(x) for x &lt; 0. Backward from the output (tanh' = 1 − a²):
/// dy/dx = α(1 − (y/α)²); dy/dα = tanh(x) = y/α. No second tanh.
/// </summary>
public readonly struct TaLU : IActivation
{
    public static string Name => "talu";
    public static bool HasParameter => true;
    public static float Forward(float x, float p)
    {
        float n = p * ExpMath.TanhNonPositive(x);
        return BitSelect.IfNegative(x, n, x);
    }


    public static float Backward(float x, float y, float p)
    {
        float t = y / p;
        return BitSelect.IfNegative(x, p * (1f - t * t), 1f);
    }

    public static float ParamGrad(float x, float y, float p) => BitSelect.IfNegative(x, y / p, 0f);
    public static double ForwardReference(double x, double p) => x < 0 ? p * Math.Tanh(x) : x;

    public static double BackwardReference(double x, double p)
    {
        if (!(x < 0)) return 1;
        double t = Math.Tanh(x);
        return p * (1 - t * t);
    }

    public static double ParamGradReference(double x, double p) => x < 0 ? Math.Tanh(x) : 0;
}

/// <summary>
/// ExLU: x for x ≥ 0, α(e^{x/α} − 1) for x &lt; 0 (α &gt; 0). Its derivative e^{x/α} tends to 1 at
/// 0⁻ for every α, so it is continuous at 0. Backward from the output: dy/dx = y/α + 1;
/// dy/dα = (e^{x/α} − 1) − (x/α)e^{x/α} = y/α − (x/α)(y/α + 1). exp only ever sees x/α &lt; 0.
/// </summary>
public readonly struct ExLU : IActivation
{
    public static string Name => "exlu";
    public static bool HasParameter => true;
    public static float Forward(float x, float p)
    {
        float n = p * ExpMath.Expm1NonPositive(x / p);
        return BitSelect.IfNegative(x, n, x);
    }

    public static float Backward(float x, float y, float p) => BitSelect.IfNegative(x, y / p + 1f, 1f);

    public static float ParamGrad(float x, float y, float p)
    {
        float e = y / p + 1f;
        return BitSelect.IfNegative(x, (e - 1f) - x * (e / p), 0f); // not (x/p)·e: x/p overflows to −∞ for x ≪ 0, small α, and ∞·0 = NaN
    }

    public static double ForwardReference(double x, double p) => x < 0 ? p * (Math.Exp(x / p) - 1) : x;
    public static double BackwardReference(double x, double p) => x < 0 ? Math.Exp(x / p) : 1;

    public static double ParamGradReference(double x, double p)
    {
        if (!(x < 0)) return 0;
        double e = Math.Exp(x / p);
        return (e - 1) - x / p * e;
    }
}

/// <summary>tanh; backward from the output: 1 − y².</summary>
public readonly struct Tanh : IActivation
{
    public static string Name => "tanh";
    public static bool HasParameter => false;
    public static float Forward(float x, float p) => ExpMath.Tanh(x);
    public static float Backward(float x, float y, float p) => 1f - y * y;
    public static float ParamGrad(float x, float y, float p) => 0f;
    public static double ForwardReference(double x, double p) => Math.Tanh(x);

    public static double BackwardReference(double x, double p)
    {
        double t = Math.Tanh(x);
        return 1 - t * t;
    }

    public static double ParamGradReference(double x, double p) => 0;
}

/// <summary>Logistic sigmoid 1/(1 + e^{−x}), evaluated without overflow; backward y(1 − y).</summary>
public readonly struct Sigmoid : IActivation
{
    public static string Name => "sigmoid";
    public static bool HasParameter => false;

    /// <summary>exp of a non-positive argument only, so large |x| saturates to 0 or 1.</summary>
    public static float Logistic(float x) => ExpMath.Logistic(x);

    public static double LogisticReference(double x) =>
        x < 0 ? Math.Exp(x) / (1 + Math.Exp(x)) : 1 / (1 + Math.Exp(-x));

    public static float Forward(float x, float p) => Logistic(x);
    public static float Backward(float x, float y, float p) => y * (1f - y);
    public static float ParamGrad(float x, float y, float p) => 0f;
    public static double ForwardReference(double x, double p) => LogisticReference(x);

    public static double BackwardReference(double x, double p)
    {
        double s = LogisticReference(x);
        return s * (1 - s);
    }

    public static double ParamGradReference(double x, double p) => 0;
}

/// <summary>
/// GELU, tanh form: 0.5x(1 + tanh u), u = √(2/π)(x + 0.044715x³). Evaluated as x·σ(2u), which is
/// the same function (0.5(1 + tanh u) = σ(2u)) without the cancellation of 1 + tanh u for u ≪ 0:
/// an accelerator tanh that stops an ulp short of ±1 (PoCL's does) otherwise leaves x·(1 ulp) in
/// the output (GELU(−1e4) = −3e-4) and x³·(1 ulp) in the slope (GELU'(1e4) = 6380).
/// Slope: σ + 2x·σ(1 − σ)·u', u' = √(2/π)(1 + 3·0.044715x²); the product is skipped where σ(1 − σ)
/// is 0 so that huge |x| (x² = ∞) gives 0 or 1, not NaN.
/// </summary>
public readonly struct GELU : IActivation
{
    private const float C = 0.7978845608028654f; // √(2/π)
    private const float K = 0.044715f;
    public static string Name => "gelu";
    public static bool HasParameter => false;

    public static float Forward(float x, float p) => x * Sigmoid.Logistic(2f * C * (x + K * x * x * x));

    public static float Backward(float x, float y, float p)
    {
        float s = Sigmoid.Logistic(2f * C * (x + K * x * x * x));
        float sp = s * (1f - s);
        return sp == 0f ? s : s + 2f * C * x * sp * (1f + 3f * K * x * x);
    }

    public static float ParamGrad(float x, float y, float p) => 0f;

    public static double ForwardReference(double x, double p) =>
        0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    public static double BackwardReference(double x, double p)
    {
        double c = Math.Sqrt(2 / Math.PI);
        double t = Math.Tanh(c * (x + 0.044715 * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
    }

    public static double ParamGradReference(double x, double p) => 0;
}

/// <summary>SiLU (swish): x·σ(x); backward σ(x)(1 + x(1 − σ(x))).</summary>
public readonly struct SiLU : IActivation
{
    public static string Name => "silu";
    public static bool HasParameter => false;
    public static float Forward(float x, float p) => x * Sigmoid.Logistic(x);

    public static float Backward(float x, float y, float p)
    {
        float s = Sigmoid.Logistic(x);
        return s * (1f + x * (1f - s));
    }

    public static float ParamGrad(float x, float y, float p) => 0f;
    public static double ForwardReference(double x, double p) => x * Sigmoid.LogisticReference(x);

    public static double BackwardReference(double x, double p)
    {
        double s = Sigmoid.LogisticReference(x);
        return s * (1 + x * (1 - s));
    }

    public static double ParamGradReference(double x, double p) => 0;
}
