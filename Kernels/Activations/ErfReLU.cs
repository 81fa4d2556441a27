// ErfReLU (Rajanand and Singh, arXiv 2306.01822, 2023): ReLU whose negative side is a learnable
// multiple of the error function, x for x ≥ 0 and α·erf(x) for x < 0. The paper could not be read
// here and no source found states its formula, so this is the form its name and abstract describe
// ("based on the erf function and ReLU", adaptive), in the pattern of TaLU (α·tanh below 0):
// bounded below by −α, slope 1 just above 0 and 2α/√π ≈ 1.13α just below.
namespace Activations.Kernels.Activations;

/// <summary>ErfReLU: x for x ≥ 0, α·erf(x) for x &lt; 0.</summary>
public readonly struct ErfReLU : IActivation
{
    public static string Name => "erfrelu";
    public static string Formula => "x for x ≥ 0, α·erf(x) for x < 0";
    public static IReadOnlyList<ActivationParameter> Parameters { get; } = [new("alpha", 1f)];
    public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T> => T.IfNegative(x, p.P0 * T.Erf(x), x);
}
