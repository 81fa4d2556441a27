// The number types an activation's forward is written over, once: Real32 (the float kernels),
// Dual (float value and derivative, for the derived backward), Real64 (the double reference).
// An activation uses only what IReal offers, so the same text is the kernel, its derivative and its
// oracle. The functions are those of ExpMath, with its domains: the *NonPositive ones take x > 0 as
// 0, which is harmless in the branch a select throws away and keeps every exponential finite.
using System.Runtime.CompilerServices;

namespace Activations.Kernels.Activations;

/// <summary>A real-number type with the arithmetic and functions an activation's forward may use.</summary>
public interface IReal<T> where T : struct, IReal<T>
{
    /// <summary>A constant (its derivative is 0).</summary>
    static abstract implicit operator T(float value);

    static abstract T operator +(T a, T b);
    static abstract T operator -(T a, T b);
    static abstract T operator *(T a, T b);
    static abstract T operator /(T a, T b);
    static abstract T operator -(T a);

    /// <summary><paramref name="ifNegative"/> where c &lt; 0, else <paramref name="otherwise"/> (−0 and NaN are not negative).</summary>
    static abstract T IfNegative(T c, T ifNegative, T otherwise);

    /// <summary><paramref name="ifPositive"/> where c &gt; 0, else <paramref name="otherwise"/>.</summary>
    static abstract T IfPositive(T c, T ifPositive, T otherwise);

    /// <summary>e^x for x ≤ 0 (x &gt; 0 is taken as 0).</summary>
    static abstract T ExpNonPositive(T x);

    /// <summary>e^x − 1 for x ≤ 0 (x &gt; 0 is taken as 0), accurate as x → 0.</summary>
    static abstract T Expm1NonPositive(T x);

    /// <summary>tanh x for x ≤ 0 (x &gt; 0 is taken as 0).</summary>
    static abstract T TanhNonPositive(T x);

    /// <summary>tanh x.</summary>
    static abstract T Tanh(T x);

    /// <summary>1/(1 + e^{−x}), saturating.</summary>
    static abstract T Logistic(T x);

    /// <summary>ln(1 + u) for 0 ≤ u ≤ 1 (softplus: max(x, 0) + ln(1 + e^{−|x|})).</summary>
    static abstract T Log1pUnit(T u);

    /// <summary>The error function.</summary>
    static abstract T Erf(T x);
}

/// <summary>float, as an <see cref="IReal{T}"/>: the arithmetic of the forward kernels.</summary>
public readonly struct Real32 : IReal<Real32>
{
    public readonly float Value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Real32(float value) => Value = value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static implicit operator Real32(float value) => new(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real32 operator +(Real32 a, Real32 b) => new(a.Value + b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real32 operator -(Real32 a, Real32 b) => new(a.Value - b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real32 operator *(Real32 a, Real32 b) => new(a.Value * b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real32 operator /(Real32 a, Real32 b) => new(a.Value / b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real32 operator -(Real32 a) => new(-a.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real32 IfNegative(Real32 c, Real32 a, Real32 b) => new(BitSelect.IfNegative(c.Value, a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real32 IfPositive(Real32 c, Real32 a, Real32 b) => new(BitSelect.IfPositive(c.Value, a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real32 ExpNonPositive(Real32 x) => new(ExpMath.ExpNonPositive(x.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real32 Expm1NonPositive(Real32 x) => new(ExpMath.Expm1NonPositive(x.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real32 TanhNonPositive(Real32 x) => new(ExpMath.TanhNonPositive(x.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real32 Tanh(Real32 x) => new(ExpMath.Tanh(x.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real32 Logistic(Real32 x) => new(ExpMath.Logistic(x.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real32 Log1pUnit(Real32 u) => new(ExpMath.Log1pUnit(u.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Real32 Erf(Real32 x) => new(ExpMath.Erf(x.Value));
}

/// <summary>double, as an <see cref="IReal{T}"/>, with System.Math: the scalar reference (host only).</summary>
public readonly struct Real64 : IReal<Real64>
{
    public readonly double Value;

    public Real64(double value) => Value = value;
    public static implicit operator Real64(float value) => new(value);
    public static implicit operator Real64(double value) => new(value);
    public static Real64 operator +(Real64 a, Real64 b) => new(a.Value + b.Value);
    public static Real64 operator -(Real64 a, Real64 b) => new(a.Value - b.Value);
    public static Real64 operator *(Real64 a, Real64 b) => new(a.Value * b.Value);
    public static Real64 operator /(Real64 a, Real64 b) => new(a.Value / b.Value);
    public static Real64 operator -(Real64 a) => new(-a.Value);
    public static Real64 IfNegative(Real64 c, Real64 a, Real64 b) => c.Value < 0 ? a : b;
    public static Real64 IfPositive(Real64 c, Real64 a, Real64 b) => c.Value > 0 ? a : b;
    public static Real64 ExpNonPositive(Real64 x) => Math.Exp(Math.Min(x.Value, 0));
    public static Real64 Expm1NonPositive(Real64 x) => Expm1(Math.Min(x.Value, 0));
    public static Real64 TanhNonPositive(Real64 x) => Math.Tanh(Math.Min(x.Value, 0));
    public static Real64 Tanh(Real64 x) => Math.Tanh(x.Value);
    public static Real64 Logistic(Real64 x) => x.Value < 0 ? Math.Exp(x.Value) / (1 + Math.Exp(x.Value)) : 1 / (1 + Math.Exp(-x.Value));
    public static Real64 Log1pUnit(Real64 u) => Log1p(u.Value);
    public static Real64 Erf(Real64 x) => ErfReference(x.Value);

    /// <summary>e^x − 1 without cancellation near 0 (Math has no expm1): the series below |x| = 1e-5.</summary>
    public static double Expm1(double x) => Math.Abs(x) < 1e-5 ? x + x * x / 2 + x * x * x / 6 : Math.Exp(x) - 1;

    /// <summary>ln(1 + u) without cancellation near 0 (Math has no log1p).</summary>
    public static double Log1p(double u)
    {
        double w = 1 + u;
        return w == 1 ? u : Math.Log(w) * u / (w - 1);
    }

    /// <summary>
    /// erf in double (Math has none): its Taylor series below |x| = 2.5 (terms up to e^{6.25} ≈ 500,
    /// so about 13 correct digits), else 1 − erfc from its continued fraction.
    /// </summary>
    public static double ErfReference(double x)
    {
        if (double.IsNaN(x)) return x;
        double a = Math.Abs(x);
        double r;
        if (a < 2.5)
        {
            double term = a, sum = a, x2 = a * a;
            for (int n = 1; n < 200 && Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
            {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else if (a > 6) r = 1; // erfc(6) ≈ 2e-17
        else
        {
            // erfc(a) = e^{−a²}/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + …))))), evaluated from the tail.
            double f = a;
            for (int k = 80; k >= 1; k--) f = a + k / 2.0 / f;
            r = 1 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }
}

/// <summary>
/// A dual number over double, with System.Math: the exact derivative of the double reference
/// (host only), the oracle the kernels' derivatives are compared with at every point, kinks
/// included; finite differences check it in turn where the function is smooth.
/// </summary>
public readonly struct Dual64 : IReal<Dual64>
{
    public readonly double V, D;

    public Dual64(double value, double derivative)
    {
        V = value;
        D = derivative;
    }

    public static implicit operator Dual64(float value) => new(value, 0);
    public static Dual64 operator +(Dual64 a, Dual64 b) => new(a.V + b.V, a.D + b.D);
    public static Dual64 operator -(Dual64 a, Dual64 b) => new(a.V - b.V, a.D - b.D);
    public static Dual64 operator *(Dual64 a, Dual64 b) => new(a.V * b.V, a.D * b.V + a.V * b.D);

    public static Dual64 operator /(Dual64 a, Dual64 b)
    {
        double q = a.V / b.V;
        return new(q, (a.D - q * b.D) / b.V);
    }

    public static Dual64 operator -(Dual64 a) => new(-a.V, -a.D);
    public static Dual64 IfNegative(Dual64 c, Dual64 a, Dual64 b) => c.V < 0 ? a : b;
    public static Dual64 IfPositive(Dual64 c, Dual64 a, Dual64 b) => c.V > 0 ? a : b;

    public static Dual64 ExpNonPositive(Dual64 x)
    {
        double e = Math.Exp(Math.Min(x.V, 0));
        return new(e, Chain(x.D, e));
    }

    public static Dual64 Expm1NonPositive(Dual64 x)
    {
        double v = Math.Min(x.V, 0);
        return new(Real64.Expm1(v), Chain(x.D, Math.Exp(v)));
    }

    public static Dual64 TanhNonPositive(Dual64 x)
    {
        double t = Math.Tanh(Math.Min(x.V, 0));
        return new(t, Chain(x.D, 1 - t * t));
    }

    public static Dual64 Tanh(Dual64 x)
    {
        double t = Math.Tanh(x.V);
        return new(t, Chain(x.D, 1 - t * t));
    }

    public static Dual64 Logistic(Dual64 x)
    {
        double s = Real64.Logistic(x.V).Value;
        return new(s, Chain(x.D, s * (1 - s)));
    }

    public static Dual64 Log1pUnit(Dual64 u) => new(Real64.Log1p(u.V), u.D / (1 + u.V));
    public static Dual64 Erf(Dual64 x) => new(Real64.ErfReference(x.V), Chain(x.D, 2 / Math.Sqrt(Math.PI) * Math.Exp(-x.V * x.V)));

    /// <summary>d·f′, but 0 where f′ is 0 (saturated), as <see cref="Dual"/> does.</summary>
    private static double Chain(double d, double slope) => slope == 0 ? 0 : d * slope;
}
