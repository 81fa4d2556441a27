// Every activation the program knows, found in one place: the public IActivation structs of this
// assembly, plus any registered at run time (a user's file compiled into a collectible assembly).
// The rest of the project never names an activation: it asks the catalog for an ActivationInfo and
// reaches the generic code through a visitor, which calls back with the struct as a type argument.
using System.Reflection;

namespace Activations.Kernels.Activations;

/// <summary>Generic code run for one activation type: the catalog's replacement for a switch over activations.</summary>
public interface IActivationVisitor<out TResult>
{
    TResult Visit<TAct>() where TAct : struct, IActivation;
}

/// <summary>One activation, as the catalog describes it: name, formula, parameters, and a way in to its generic code.</summary>
public sealed class ActivationInfo
{
    private readonly Dispatch _dispatch;

    private ActivationInfo(Type type, Dispatch dispatch)
    {
        Type = type;
        _dispatch = dispatch;
        (Name, Formula, Parameters, Aliases, HasBackward) = dispatch.Describe();
    }

    /// <summary>The struct that implements <see cref="IActivation"/>.</summary>
    public Type Type { get; }
    public string Name { get; }
    public string Formula { get; }
    public IReadOnlyList<ActivationParameter> Parameters { get; }
    public IReadOnlyList<string> Aliases { get; }

    /// <summary>Whether its backward is hand-written (else derived by dual numbers).</summary>
    public bool HasBackward { get; }

    /// <summary>Whether it has a parameter at all.</summary>
    public bool HasParameter => Parameters.Count > 0;

    /// <summary>Whether its first parameter is an α (so the study's α values apply to it).</summary>
    public bool TakesAlpha => HasParameter && Parameters[0].Name == "alpha";

    /// <summary>Whether any of its parameters may be learned.</summary>
    public bool HasLearnableParameter => Parameters.Any(p => p.Learnable);

    /// <summary>The default of its first parameter (the one the command line's α sets), or 0 without parameters.</summary>
    public float DefaultParameter => HasParameter ? Parameters[0].Default : 0f;

    /// <summary>Every parameter's default, in order.</summary>
    public float[] Defaults => Parameters.Select(p => p.Default).ToArray();

    /// <summary>The parameter values with the first one replaced by <paramref name="first"/> (NaN: the default).</summary>
    public float[] WithFirst(float first)
    {
        var values = Defaults;
        if (values.Length > 0 && !float.IsNaN(first)) values[0] = first;
        return values;
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the activation, parameter and value if <paramref name="value"/> breaks parameter k's rule.</summary>
    public void Validate(int k, float value)
    {
        if (k >= Parameters.Count)
        {
            if (!float.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), $"{Name}: parameter must be finite; got {value}");
            return;
        }
        if (Parameters[k].Check(Name, value) is string why) throw new ArgumentOutOfRangeException(nameof(value), why);
    }

    /// <summary>Validates the first parameter (the command line's α).</summary>
    public void Validate(float value) => Validate(0, value);

    /// <summary>The double-precision reference y = f(x; p): the same forward, on <see cref="Real64"/> (System.Math).</summary>
    public double Reference(double x, IReadOnlyList<double> p) => _dispatch.Reference(x, p);

    /// <summary>
    /// ∂f/∂x (which = 0) or ∂f/∂p_{which−1} of the double reference, exactly: the same forward on
    /// <see cref="Dual64"/>. At a kink it is the derivative of the branch the forward selects there.
    /// </summary>
    public double ReferenceDerivative(int which, double x, IReadOnlyList<double> p) => _dispatch.ReferenceDerivative(which, x, p);

    /// <summary>
    /// The same derivative by central differences of the double reference with one Richardson step
    /// (error O(h⁴), h = 1e-3·max(1, |v|)): about 1e-10 relative where f is smooth within 2h of the
    /// point, meaningless across a kink. The independent check of <see cref="ReferenceDerivative"/>.
    /// </summary>
    public double FiniteDifference(int which, double x, IReadOnlyList<double> p)
    {
        double v = which == 0 ? x : p[which - 1];
        double h = 1e-3 * Math.Max(1, Math.Abs(v));
        double At(double t)
        {
            if (which == 0) return Reference(t, p);
            var q = p.ToArray();
            q[which - 1] = t;
            return Reference(x, q);
        }
        double D(double s) => (At(v + s) - At(v - s)) / (2 * s);
        return (4 * D(h / 2) - D(h)) / 3;
    }

    /// <summary>Runs <paramref name="visitor"/> with this activation's struct as its type argument.</summary>
    public TResult Accept<TResult>(IActivationVisitor<TResult> visitor) => _dispatch.Accept(visitor);

    public override string ToString() => Name;

    /// <summary>The entry of <typeparamref name="TAct"/> (not registered: see <see cref="ActivationCatalog.Register"/>).</summary>
    public static ActivationInfo Of<TAct>() where TAct : struct, IActivation => new(typeof(TAct), new Dispatch<TAct>());

    /// <summary>
    /// The entry of a struct known only at run time (for example compiled from a user's file); throws
    /// <see cref="ArgumentException"/> saying what is missing when it does not meet the contract.
    /// </summary>
    public static ActivationInfo Of(Type type)
    {
        if (!type.IsValueType || type.IsGenericTypeDefinition)
            throw new ArgumentException($"{type.FullName}: an activation must be a non-generic struct");
        if (!typeof(IActivation).IsAssignableFrom(type))
            throw new ArgumentException($"{type.FullName}: does not implement {nameof(IActivation)} (Name, Formula, Parameters and Forward<T>)");
        var dispatch = (Dispatch)Activator.CreateInstance(typeof(Dispatch<>).MakeGenericType(type))!;
        var info = new ActivationInfo(type, dispatch);
        if (string.IsNullOrWhiteSpace(info.Name) || info.Name != ActivationCatalog.Normalize(info.Name))
            throw new ArgumentException($"{type.FullName}: Name must be lower case letters and digits; got '{info.Name}'");
        if (info.Parameters.Count > ActivationParameters<float>.Max)
            throw new ArgumentException($"{info.Name}: at most {ActivationParameters<float>.Max} parameters; got {info.Parameters.Count}");
        foreach (var (p, k) in info.Parameters.Select((p, k) => (p, k)))
            if (p.Check(info.Name, p.Default) is string why) throw new ArgumentException($"{info.Name}: the default of parameter {k} breaks its own rule: {why}");
        return info;
    }

    private abstract class Dispatch
    {
        public abstract TResult Accept<TResult>(IActivationVisitor<TResult> visitor);
        public abstract (string, string, IReadOnlyList<ActivationParameter>, IReadOnlyList<string>, bool) Describe();
        public abstract double Reference(double x, IReadOnlyList<double> p);
        public abstract double ReferenceDerivative(int which, double x, IReadOnlyList<double> p);
    }

    private sealed class Dispatch<TAct> : Dispatch where TAct : struct, IActivation
    {
        public override TResult Accept<TResult>(IActivationVisitor<TResult> visitor) => visitor.Visit<TAct>();
        public override (string, string, IReadOnlyList<ActivationParameter>, IReadOnlyList<string>, bool) Describe() =>
            (TAct.Name, TAct.Formula, TAct.Parameters, TAct.Aliases, TAct.HasBackward);

        public override double Reference(double x, IReadOnlyList<double> p) =>
            TAct.Forward<Real64>(x, Load(p, k => (Real64)p[k])).Value;

        public override double ReferenceDerivative(int which, double x, IReadOnlyList<double> p) =>
            TAct.Forward(new Dual64(x, which == 0 ? 1 : 0), Load(p, k => new Dual64(p[k], which == k + 1 ? 1 : 0))).D;

        private static ActivationParameters<T> Load<T>(IReadOnlyList<double> p, Func<int, T> at)
        {
            var q = new ActivationParameters<T>();
            if (p.Count > 0) q.P0 = at(0);
            if (p.Count > 1) q.P1 = at(1);
            if (p.Count > 2) q.P2 = at(2);
            if (p.Count > 3) q.P3 = at(3);
            return q;
        }
    }
}

/// <summary>The activations by name: the built-in ones and those registered at run time.</summary>
public static class ActivationCatalog
{
    private static readonly object Gate = new();
    private static List<ActivationInfo> _all = BuiltInTypes().Select(ActivationInfo.Of).OrderBy(a => a.Name, StringComparer.Ordinal).ToList();

    /// <summary>The built-in activations: every public IActivation struct of this assembly, by name.</summary>
    public static IReadOnlyList<ActivationInfo> BuiltIn { get; } = _all.ToArray();

    /// <summary>Every known activation, by name (built-in first, then registered ones in order).</summary>
    public static IReadOnlyList<ActivationInfo> All { get { lock (Gate) return _all.ToArray(); } }

    private static IEnumerable<Type> BuiltInTypes() =>
        typeof(IActivation).Assembly.GetTypes().Where(t => t.IsPublic && t.IsValueType && typeof(IActivation).IsAssignableFrom(t));

    /// <summary>A name as compared: lower case, trimmed, without '_' and '-' ("Leaky_ReLU" → "leakyrelu").</summary>
    public static string Normalize(string? text) => (text ?? "").Trim().ToLowerInvariant().Replace("_", "").Replace("-", "");

    /// <summary>Finds an activation by name or alias (case-insensitive, '_' and '-' ignored).</summary>
    public static bool TryParse(string? text, out ActivationInfo activation)
    {
        string s = Normalize(text);
        foreach (var a in All)
        {
            if (a.Name == s || a.Aliases.Contains(s)) { activation = a; return true; }
        }
        activation = null!;
        return false;
    }

    public static ActivationInfo Parse(string text) => TryParse(text, out var a)
        ? a
        : throw new ArgumentException($"unknown activation '{text}'; expected one of {Names}");

    /// <summary>The known names, comma-separated, for messages and help.</summary>
    public static string Names => string.Join(", ", All.Select(a => a.Name));

    /// <summary>Every activation with its formula and parameter rules, one per line, for --help.</summary>
    public static string Help => string.Join(Environment.NewLine, All.Select(a =>
        $"{a.Name}: {a.Formula}{(a.HasParameter ? "; " + string.Join(", ", a.Parameters.Select(p => $"{p.Symbol} = {p.Default.ToString(System.Globalization.CultureInfo.InvariantCulture)}{(p.Rule.Length > 0 ? $" ({p.Rule})" : "")}")) : "")}"));

    /// <summary>Adds a run-time activation (its name must be new); returns its entry.</summary>
    public static ActivationInfo Register(Type type)
    {
        var info = ActivationInfo.Of(type);
        lock (Gate)
        {
            if (_all.Any(a => a.Name == info.Name || a.Aliases.Contains(info.Name)))
                throw new ArgumentException($"{type.FullName}: an activation named '{info.Name}' already exists");
            _all = [.. _all, info];
        }
        return info;
    }
}
