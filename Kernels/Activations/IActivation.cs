// The contract of an activation: a name, its parameters, and its forward written once over the
// number type. From that one forward come the float kernel (Real32), the exact input and parameter
// derivatives (Dual) and the double-precision reference (Real64). A hand-written backward is
// optional, for speed; the tests check it against the derived one and against finite differences.
namespace Activations.Kernels.Activations;

/// <summary>
/// One activation y = f(x; p₀…p₃) with up to <see cref="ActivationParameters{T}.Max"/> scalar
/// parameters, implemented by a struct so that one generic kernel serves all. Found by
/// <see cref="ActivationCatalog"/>: adding an activation is adding one such struct.
/// </summary>
public interface IActivation
{
    /// <summary>Name used on the command line and in reports (lower case, no separators).</summary>
    static abstract string Name { get; }

    /// <summary>The formula in one line, for help text.</summary>
    static abstract string Formula { get; }

    /// <summary>Its scalar parameters, in the order p.P0, p.P1, … (empty for none).</summary>
    static abstract IReadOnlyList<ActivationParameter> Parameters { get; }

    /// <summary>y = f(x; p), over any number type.</summary>
    static abstract T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T>;

    /// <summary>Other accepted names ("swish" for silu).</summary>
    static virtual IReadOnlyList<string> Aliases => [];

    /// <summary>Whether <see cref="Backward"/> and <see cref="ParamGrad"/> are hand-written; if not, both are derived from the forward.</summary>
    static virtual bool HasBackward => false;

    /// <summary>dy/dx, given x and the saved output y (hand-written, optional).</summary>
    static virtual float Backward(float x, float y, ActivationParameters<float> p) => float.NaN;

    /// <summary>dy/dp_k, given x and the saved output y (hand-written, optional).</summary>
    static virtual float ParamGrad(int k, float x, float y, ActivationParameters<float> p) => float.NaN;
}

/// <summary>The parameter values of one element: P0 … P3 (unused ones are 0).</summary>
public struct ActivationParameters<T>
{
    /// <summary>The most parameters an activation may have.</summary>
    public const int Max = 4;

    public T P0, P1, P2, P3;
}

/// <summary>
/// One scalar parameter: its name, default, valid range and whether it may be learned. Values
/// must be finite and within [Min, Max] (Min excluded where <see cref="MinExclusive"/>).
/// </summary>
/// <param name="LearnedMin">A learned value is kept ≥ this after every optimizer step (NaN: no bound).</param>
public sealed record ActivationParameter(string Name, float Default, float Min = float.NegativeInfinity,
    bool MinExclusive = false, float Max = float.PositiveInfinity, bool Learnable = true, float LearnedMin = float.NaN)
{
    /// <summary>
    /// The α &gt; 0 of ELU, TaLU, ExLU and their kin (they divide by α, or overflow for α &lt; 0): a learned
    /// α is kept ≥ 0.01 after each step.
    /// </summary>
    public static ActivationParameter PositiveAlpha(float @default = 1f) =>
        new("alpha", @default, Min: 0f, MinExclusive: true, LearnedMin: 0.01f);

    /// <summary>How messages and plots write the name: α, β, λ for alpha, beta, lambda.</summary>
    public string Symbol => Name switch { "alpha" => "α", "beta" => "β", "lambda" => "λ", _ => Name };

    /// <summary>The rule as text, e.g. "α > 0" (empty for any finite value).</summary>
    public string Rule
    {
        get
        {
            var parts = new List<string>();
            if (!float.IsNegativeInfinity(Min)) parts.Add($"{Symbol} {(MinExclusive ? ">" : "≥")} {Min.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            if (!float.IsPositiveInfinity(Max)) parts.Add($"{Symbol} ≤ {Max.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            return string.Join(", ", parts);
        }
    }

    /// <summary>Null when <paramref name="value"/> is valid, else why not (naming the activation, the parameter and the value).</summary>
    public string? Check(string activation, float value)
    {
        if (!float.IsFinite(value)) return $"{activation}: {Symbol} must be finite; got {value}";
        bool ok = (MinExclusive ? value > Min : value >= Min) && value <= Max;
        return ok ? null : $"{activation} needs {Rule}; got {Symbol} = {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    }
}
