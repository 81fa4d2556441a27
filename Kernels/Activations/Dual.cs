// Forward-mode automatic differentiation: a float and its derivative along one direction. Running
// an activation's forward on Dual values, with the input (or one parameter) seeded with derivative
// 1, gives the exact derivative in the same pass, inside the kernel: no finite differences, and
// each function's derivative reuses its value (tanh' = 1 − t², e^x' = e^x).
//
// Selects choose value and derivative together by the value of the condition, so a branch that is
// thrown away (whatever it holds, Inf or NaN included) leaves no trace in either. A saturated
// function (tanh at ±1, e^x flushed to 0) passes on no derivative, even an infinite one: GELU's
// inner derivative is ∞ at |x| ≈ 1e13 and ∞·0 would be NaN.
using System.Runtime.CompilerServices;

namespace Activations.Kernels.Activations;

/// <summary>A dual number V + D·ε (ε² = 0): a value and its derivative.</summary>
public readonly struct Dual : IReal<Dual>
{
    /// <summary>2/√π, the scale of erf' (x) = 2/√π·e^{−x²}.</summary>
    private const float TwoOverSqrtPi = 1.1283791670955126f;

    public readonly float V, D;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Dual(float value, float derivative)
    {
        V = value;
        D = derivative;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static implicit operator Dual(float value) => new(value, 0f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual operator +(Dual a, Dual b) => new(a.V + b.V, a.D + b.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual operator -(Dual a, Dual b) => new(a.V - b.V, a.D - b.D);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual operator *(Dual a, Dual b) => new(a.V * b.V, a.D * b.V + a.V * b.D);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Dual operator /(Dual a, Dual b)
    {
        float q = a.V / b.V;
        return new(q, (a.D - q * b.D) / b.V);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Dual operator -(Dual a) => new(-a.V, -a.D);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Dual IfNegative(Dual c, Dual a, Dual b) =>
        new(BitSelect.IfNegative(c.V, a.V, b.V), BitSelect.IfNegative(c.V, a.D, b.D));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Dual IfPositive(Dual c, Dual a, Dual b) =>
        new(BitSelect.IfPositive(c.V, a.V, b.V), BitSelect.IfPositive(c.V, a.D, b.D));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Dual ExpNonPositive(Dual x)
    {
        float e = ExpMath.ExpNonPositive(x.V);
        return new(e, Chain(x.D, e));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Dual Expm1NonPositive(Dual x)
    {
        float m = ExpMath.Expm1NonPositive(x.V);
        return new(m, Chain(x.D, m + 1f));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Dual TanhNonPositive(Dual x)
    {
        float t = ExpMath.TanhNonPositive(x.V, out float slope);
        return new(t, Chain(x.D, slope));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Dual Tanh(Dual x)
    {
        float t = ExpMath.Tanh(x.V, out float slope);
        return new(t, Chain(x.D, slope));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Dual Logistic(Dual x)
    {
        float s = ExpMath.Logistic(x.V);
        return new(s, Chain(x.D, s * (1f - s)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Dual Log1pUnit(Dual u) => new(ExpMath.Log1pUnit(u.V), u.D / (1f + u.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Dual Erf(Dual x) => new(ExpMath.Erf(x.V), Chain(x.D, TwoOverSqrtPi * ExpMath.ExpNonPositive(-(x.V * x.V))));

    /// <summary>d·f′, but 0 where f′ is 0 (saturated), whatever d is.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Chain(float d, float slope) => slope == 0f ? 0f : d * slope;
}
