// SoftsignLU: TaLU's method with softsign in place of tanh: x for x ≥ 0, α·x/(1 − x) for x < 0.
public readonly struct SoftsignLU : IActivation
{
    public static string Name => "softsignlu";
    public static string Formula => "x for x ≥ 0, α·x/(1 − x) for x < 0";
    public static IReadOnlyList<ActivationParameter> Parameters { get; } = [ActivationParameter.PositiveAlpha()];
    public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T> =>
        T.IfNegative(x, p.P0 * x / (1f - T.IfNegative(x, x, 0f)), x);
}
