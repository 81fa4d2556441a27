// Activation ops: one generic forward/backward pair served by the kernels in
// Kernels/Activations, with an optional learnable α (one per layer, or one per channel).
//
//   y = f(x; α)        ∂x = g·f'(x, y; α)        ∂α[c] = Σ_{i in channel c} g·∂f/∂α(x, y; α)
using Activations.Kernels.Activations;

namespace Activations.Engine;

public enum ActivationKind { ReLU, LeakyReLU, ELU, TaLU, ExLU, Tanh, Sigmoid, GELU, SiLU }

/// <summary>Names, defaults and parameter rules of the activations.</summary>
public static class ActivationCatalog
{
    public static IReadOnlyList<ActivationKind> All { get; } = Enum.GetValues<ActivationKind>();

    public static string Name(ActivationKind kind) => kind switch
    {
        ActivationKind.ReLU => ReLU.Name,
        ActivationKind.LeakyReLU => LeakyReLU.Name,
        ActivationKind.ELU => ELU.Name,
        ActivationKind.TaLU => TaLU.Name,
        ActivationKind.ExLU => ExLU.Name,
        ActivationKind.Tanh => Tanh.Name,
        ActivationKind.Sigmoid => Sigmoid.Name,
        ActivationKind.GELU => GELU.Name,
        _ => SiLU.Name,
    };

    /// <summary>Parses a name such as "talu" or "leaky_relu" (case-insensitive).</summary>
    public static bool TryParse(string? text, out ActivationKind kind)
    {
        string s = (text ?? "").Trim().ToLowerInvariant().Replace("_", "").Replace("-", "");
        foreach (var k in All)
        {
            if (Name(k) == s) { kind = k; return true; }
        }
        if (s == "swish") { kind = ActivationKind.SiLU; return true; }
        kind = default;
        return false;
    }

    public static ActivationKind Parse(string text) => TryParse(text, out var k)
        ? k
        : throw new ArgumentException($"unknown activation '{text}'; expected one of {string.Join(", ", All.Select(Name))}");

    /// <summary>Whether the activation has a parameter (α, or LeakyReLU's slope).</summary>
    public static bool HasParameter(ActivationKind kind) =>
        kind is ActivationKind.LeakyReLU or ActivationKind.ELU or ActivationKind.TaLU or ActivationKind.ExLU;

    /// <summary>The default parameter: α = 1 (ELU, TaLU, ExLU), slope 0.01 (LeakyReLU).</summary>
    public static float DefaultParameter(ActivationKind kind) => kind == ActivationKind.LeakyReLU ? 0.01f : 1f;

    /// <summary>
    /// Checks a parameter value: ELU, TaLU and ExLU need a finite α &gt; 0 (ExLU divides by α, and
    /// the output-based backward of all three divides by α); LeakyReLU needs a finite slope.
    /// </summary>
    public static void Validate(ActivationKind kind, float p)
    {
        if (!float.IsFinite(p))
            throw new ArgumentOutOfRangeException(nameof(p), $"{Name(kind)}: parameter must be finite; got {p}");
        if (kind is ActivationKind.ELU or ActivationKind.TaLU or ActivationKind.ExLU && !(p > 0f))
            throw new ArgumentOutOfRangeException(nameof(p), $"{Name(kind)} needs α > 0; got α = {p}");
    }
}

public sealed partial class Tensor
{
    /// <summary>Applies <paramref name="kind"/> with a fixed parameter.</summary>
    public Tensor Activate(ActivationKind kind, float parameter = float.NaN)
    {
        float p = float.IsNaN(parameter) ? ActivationCatalog.DefaultParameter(kind) : parameter;
        ActivationCatalog.Validate(kind, p);
        var alpha = FromArray(Device, [p], 1);
        var y = Activate(kind, alpha);
        // The backward closure reads α, so α lives as long as y when a graph was recorded.
        if (y.IsLeaf) alpha.Dispose();
        else y.Own(alpha);
        return y;
    }

    /// <summary>
    /// Applies <paramref name="kind"/> with parameter tensor <paramref name="alpha"/>: one value, or
    /// one per channel along <paramref name="channelAxis"/>. When alpha requires grad, it learns.
    /// </summary>
    public Tensor Activate(ActivationKind kind, Tensor alpha, int channelAxis = 1) => kind switch
    {
        ActivationKind.ReLU => Activate<ReLU>(alpha, channelAxis),
        ActivationKind.LeakyReLU => Activate<LeakyReLU>(alpha, channelAxis),
        ActivationKind.ELU => Activate<ELU>(alpha, channelAxis),
        ActivationKind.TaLU => Activate<TaLU>(alpha, channelAxis),
        ActivationKind.ExLU => Activate<ExLU>(alpha, channelAxis),
        ActivationKind.Tanh => Activate<Tanh>(alpha, channelAxis),
        ActivationKind.Sigmoid => Activate<Sigmoid>(alpha, channelAxis),
        ActivationKind.GELU => Activate<GELU>(alpha, channelAxis),
        _ => Activate<SiLU>(alpha, channelAxis),
    };

    public Tensor Activate<T>(Tensor alpha, int channelAxis = 1) where T : struct, IActivation
    {
        SameDevice(this, alpha, T.Name);
        int inner = 1;
        if (alpha.Length != 1)
        {
            int axis = Shape.Axis(channelAxis);
            if (Shape[axis] != alpha.Length)
                throw new ArgumentException($"{T.Name}: α has {alpha.Length} values but {Describe()} has {Shape[axis]} channels on axis {channelAxis}");
            inner = Shape.Product(axis + 1, Rank);
        }
        var kernels = Device.Kernels.Get<ActivationKernels<T>>();
        var y = new Tensor(Device, Shape);
        kernels.Forward(View, y.View, alpha.View, inner);
        var x = this;
        int outer = alpha.Length == 1 ? 1 : Shape.Product(0, Shape.Axis(channelAxis));
        return y.Record(T.Name, [this, alpha], g =>
        {
            if (x.RequiresGrad)
            {
                var gx = new Tensor(g.Device, g.Shape);
                kernels.Backward(x.View, y.View, g.View, gx.View, alpha.View, inner);
                x.AccumulateGrad(gx, owned: true);
            }
            if (alpha.RequiresGrad && T.HasParameter)
            {
                using var contrib = new Tensor(g.Device, g.Shape);
                kernels.ParamGrad(x.View, y.View, g.View, contrib.View, alpha.View, inner);
                Tensor ga;
                if (alpha.Length == 1)
                {
                    using var flat = contrib.ViewAs(new Shape(contrib.Length));
                    ga = ReduceSum(flat, [0], 1f);
                }
                else
                {
                    using var v = contrib.ViewAs(new Shape(outer, alpha.Length, inner));
                    ga = ReduceSum(v, [0, 2], 1f);
                }
                var shaped = ga.ViewAs(alpha.Shape);
                ga.Dispose();
                alpha.AccumulateGrad(shaped, owned: true);
            }
        }, this, y, alpha);
    }
}
