// A trained model as ONNX: the layers of the Sequential the app builds, in order, evaluation mode
// (BatchNorm with its running statistics). Input "input" (batch, C, H, W) holds images normalised
// as the training data is; output "logits" (batch, classes). Parameters keep their PyTorch names
// as initializer names ("fc1.weight", "bn1.running_mean", "act1.alpha").
using Activations.Engine;
using Activations.Engine.Nn;
using Onnx;

namespace Activations.Training.Export;

public static class OnnxExporter
{
    /// <summary>The ONNX model of <paramref name="model"/> for images of shape (C, H, W).</summary>
    public static byte[] Export(Module model, (int C, int H, int W) image, string producerVersion, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var g = new OnnxGraph("activations");
        string x = g.Input("input", null, image.C, image.H, image.W);
        int rank = 4;
        var layers = model is Sequential ? model.Children : [("model", model)];
        var names = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        foreach (var (n, t) in model.NamedParameters().Concat(model.NamedBuffers())) names[t] = n;
        string Weight(Tensor t, string fallback, long[]? dims = null) =>
            g.Initializer(names.GetValueOrDefault(t, fallback), t.ToArray(), dims ?? t.Shape.ToArray().Select(d => (long)d).ToArray());

        long classes = -1;
        foreach (var (name, layer) in layers)
        {
            switch (layer)
            {
                case Flatten:
                    x = g.Node("Flatten", [x], name, OnnxGraph.Int("axis", 1));
                    rank = 2;
                    break;
                case Linear l:
                    string[] inputs = l.Bias is null ? [x, Weight(l.Weight, name + ".weight")] : [x, Weight(l.Weight, name + ".weight"), Weight(l.Bias, name + ".bias")];
                    x = g.Node("Gemm", inputs, name, OnnxGraph.Int("transB", 1));
                    classes = l.OutFeatures;
                    break;
                case Conv2d c:
                    string[] convInputs = c.Bias is null ? [x, Weight(c.Weight, name + ".weight")] : [x, Weight(c.Weight, name + ".weight"), Weight(c.Bias, name + ".bias")];
                    x = g.Node("Conv", convInputs, name,
                        OnnxGraph.Ints("kernel_shape", c.Kernel, c.Kernel), OnnxGraph.Ints("strides", c.Stride, c.Stride),
                        OnnxGraph.Ints("pads", c.Padding, c.Padding, c.Padding, c.Padding));
                    break;
                case MaxPool2d p:
                    x = g.Node("MaxPool", [x], name, OnnxGraph.Ints("kernel_shape", p.Kernel, p.Kernel), OnnxGraph.Ints("strides", p.Stride, p.Stride),
                        OnnxGraph.Ints("pads", p.Padding, p.Padding, p.Padding, p.Padding));
                    break;
                case AvgPool2d p:
                    // Zero padding is counted, as in the kernels (PyTorch's default).
                    x = g.Node("AveragePool", [x], name, OnnxGraph.Ints("kernel_shape", p.Kernel, p.Kernel), OnnxGraph.Ints("strides", p.Stride, p.Stride),
                        OnnxGraph.Ints("pads", p.Padding, p.Padding, p.Padding, p.Padding), OnnxGraph.Int("count_include_pad", 1));
                    break;
                case GlobalAvgPool:
                    x = g.Node("Flatten", [g.Node("GlobalAveragePool", [x], name + "_pool")], name, OnnxGraph.Int("axis", 1));
                    rank = 2;
                    break;
                case BatchNorm b:
                    x = g.Node("BatchNormalization",
                        [x, Weight(b.Weight, name + ".weight"), Weight(b.Bias, name + ".bias"), Weight(b.RunningMean, name + ".running_mean"), Weight(b.RunningVar, name + ".running_var")],
                        name, OnnxGraph.Float("epsilon", b.Epsilon));
                    break;
                case ActivationLayer a:
                    x = OnnxActivations.Emit(g, a.Activation, x, rank, a.Alpha.ToArray(), names.GetValueOrDefault(a.Alpha, name + ".alpha"), name);
                    break;
                default:
                    throw new NotSupportedException($"ONNX export: layer '{name}' ({layer.GetType().Name}) has no ONNX mapping");
            }
        }
        // The last node's output is renamed by an Identity so that the graph output has a fixed name.
        string logits = g.Node("Identity", [x], "logits");
        g.Output(logits, null, classes);
        return g.ToModel(producerVersion, metadata ?? new Dictionary<string, string>());
    }
}
