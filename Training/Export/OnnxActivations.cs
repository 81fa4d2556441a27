// The activations that have an ONNX form, as ONNX operators, in one place (keyed by catalog name:
// the kernels live in Kernels/, which cannot know ONNX). Standard ops where ONNX has one with the same definition; TaLU, ExLU, GELU (tanh form)
// and SiLU are composed. A single α becomes an attribute where the op takes one (LeakyRelu, Elu);
// otherwise α is an initializer named after the layer's parameter, shaped (C) for (N, C) inputs and
// (C, 1, 1) for (N, C, H, W) so that it broadcasts over channels. The negative branch is taken for
// x < 0 only, as in the kernels (Kernels/Activations/), and ExLU's exp only ever sees
// min(x, 0)/α ≤ 0, so it cannot overflow.
using Activations.Engine;
using Activations.Kernels.Activations;

namespace Activations.Training.Export;

public static class OnnxActivations
{
    /// <summary>The catalog names that have an ONNX form here.</summary>
    public static readonly IReadOnlyList<string> Mapped = ["relu", "leakyrelu", "elu", "talu", "exlu", "tanh", "sigmoid", "gelu", "silu"];

    /// <summary>Emits <paramref name="kind"/> applied to <paramref name="x"/> (rank <paramref name="rank"/>) with parameter values <paramref name="alpha"/>; returns the output name.</summary>
    internal static string Emit(OnnxGraph g, ActivationInfo kind, string x, int rank, float[] alpha, string alphaName, string hint)
    {
        bool single = alpha.Length == 1;
        // α as a tensor that broadcasts over the channel axis (axis 1).
        string AlphaTensor() => single
            ? g.Initializer(alphaName, alpha)
            : g.Initializer(alphaName, alpha, rank == 4 ? [alpha.Length, 1, 1] : [alpha.Length]);
        string Negative(string negative) =>
            g.Node("Where", [g.Node("Less", [x, g.Scalar("zero", 0f)], hint + "_isneg"), negative, x], hint);

        switch (kind.Name)
        {
            case "relu":
                return g.Node("Relu", [x], hint);
            case "leakyrelu":
                return single
                    ? g.Node("LeakyRelu", [x], hint, OnnxGraph.Float("alpha", alpha[0]))
                    : g.Node("PRelu", [x, AlphaTensor()], hint);
            case "elu":
                if (single) return g.Node("Elu", [x], hint, OnnxGraph.Float("alpha", alpha[0]));
                {
                    // α·(exp(min(x, 0)) − 1) for x < 0.
                    string e = g.Node("Exp", [g.Node("Min", [x, g.Scalar("zero", 0f)], hint + "_min")], hint + "_exp");
                    string em1 = g.Node("Sub", [e, g.Scalar("one", 1f)], hint + "_expm1");
                    return Negative(g.Node("Mul", [AlphaTensor(), em1], hint + "_neg"));
                }
            case "talu":
                // Where(Less(x, 0), α·Tanh(x), x)
                return Negative(g.Node("Mul", [AlphaTensor(), g.Node("Tanh", [x], hint + "_tanh")], hint + "_neg"));
            case "exlu":
            {
                // Where(Less(x, 0), α·(Exp(Min(x, 0)/α) − 1), x)
                string a = AlphaTensor();
                string scaled = g.Node("Div", [g.Node("Min", [x, g.Scalar("zero", 0f)], hint + "_min"), a], hint + "_scaled");
                string em1 = g.Node("Sub", [g.Node("Exp", [scaled], hint + "_exp"), g.Scalar("one", 1f)], hint + "_expm1");
                return Negative(g.Node("Mul", [a, em1], hint + "_neg"));
            }
            case "tanh":
                return g.Node("Tanh", [x], hint);
            case "sigmoid":
                return g.Node("Sigmoid", [x], hint);
            case "gelu":
            {
                // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))); the Gelu op itself needs opset 20.
                string x3 = g.Node("Mul", [g.Node("Mul", [x, x], hint + "_x2"), x], hint + "_x3");
                string inner = g.Node("Add", [x, g.Node("Mul", [x3, g.Scalar("gelu_k", 0.044715f)], hint + "_kx3")], hint + "_inner");
                string t = g.Node("Tanh", [g.Node("Mul", [inner, g.Scalar("gelu_c", 0.7978845608028654f)], hint + "_u")], hint + "_tanh");
                string half = g.Node("Mul", [x, g.Scalar("half", 0.5f)], hint + "_halfx");
                return g.Node("Mul", [half, g.Node("Add", [t, g.Scalar("one", 1f)], hint + "_1pt")], hint);
            }
            case "silu":
                return g.Node("Mul", [x, g.Node("Sigmoid", [x], hint + "_sigmoid")], hint);
            default:
                throw new NotSupportedException($"no ONNX mapping for activation {kind.Name} yet (mapped: {string.Join(", ", Mapped)})");
        }
    }
}
