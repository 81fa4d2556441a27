// tanhLU (Shen, Zhang, Zhou and Yin, Expert Systems with Applications 199:117181, 2022):
// α·tanh(λx) + βx, a tanh with a linear unit added so that it does not saturate. All three
// parameters may be learned. Defaults α = λ = β = 1 (tanh(x) + x): the paper's constant and
// adaptive settings could not be read here, so these are the neutral choice, not the paper's.
namespace Activations.Kernels.Activations;

/// <summary>tanhLU: α·tanh(λx) + βx.</summary>
public readonly struct TanhLU : IActivation
{
    public static string Name => "tanhlu";
    public static string Formula => "α·tanh(λx) + βx";
    public static IReadOnlyList<ActivationParameter> Parameters { get; } = [new("alpha", 1f), new("lambda", 1f), new("beta", 1f)];
    public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T> => p.P0 * T.Tanh(p.P1 * x) + p.P2 * x;
}
