// A model's table: each top-level layer with its output shape for one image, its parameter count
// and its FLOPs per image. Shapes come from running one image through the layers (no graph); FLOPs
// count a multiply-add as 2 (Linear, Conv2d: 2·in·out per output position, plus the bias add),
// 4 per element for BatchNorm (subtract, divide, scale, shift), the window size per output for
// pooling, and 1 per element for activations and everything else that touches data.
using System.Globalization;
using System.Text;
using Activations.Engine;
using Activations.Engine.Autograd;
using Activations.Engine.Nn;

namespace Activations.Training.Models;

public sealed record LayerSummary(string Name, string Kind, Shape Output, long Parameters, long Flops);

public sealed record ModelSummary(IReadOnlyList<LayerSummary> Layers, Shape Input)
{
    public long Parameters => Layers.Sum(l => l.Parameters);
    public long Flops => Layers.Sum(l => l.Flops);

    /// <summary>Runs one zero image of shape (C, H, W) through <paramref name="model"/>'s layers in evaluation mode.</summary>
    public static ModelSummary Of(Module model, Device device, (int C, int H, int W) image)
    {
        bool training = model.IsTraining;
        model.Eval();
        var layers = new List<LayerSummary>();
        var input = new Shape(1, image.C, image.H, image.W);
        try
        {
            using var scope = TensorScope.Begin();
            using var noGrad = GradMode.NoGrad();
            var x = Tensor.Zeros(device, input.ToArray());
            var children = model is Sequential ? model.Children : [("model", model)];
            foreach (var (name, layer) in children)
            {
                var inShape = x.Shape;
                x = layer.Forward(x);
                long parameters = layer.NamedParameters().Sum(p => (long)p.Tensor.Length);
                layers.Add(new LayerSummary(name, KindOf(layer), x.Shape, parameters, FlopsOf(layer, inShape, x.Shape)));
            }
        }
        finally
        {
            model.Train(training);
        }
        return new ModelSummary(layers, input);
    }

    private static string KindOf(Module m) => m switch
    {
        Linear l => $"Linear {l.InFeatures}→{l.OutFeatures}",
        Conv2d c => $"Conv2d {c.InChannels}→{c.OutChannels} {c.Kernel}×{c.Kernel}" + (c.Padding > 0 ? $" pad {c.Padding}" : "") + (c.Stride > 1 ? $" stride {c.Stride}" : ""),
        ActivationLayer a => a.Activation.Name + (a.Learnable ? $" (learnable parameters ×{a.Alpha.Length})" : ""),
        BatchNorm => "BatchNorm",
        _ => m.GetType().Name,
    };

    private static long FlopsOf(Module m, Shape input, Shape output)
    {
        long outElems = output.Length;
        return m switch
        {
            Linear l => 2L * l.InFeatures * l.OutFeatures + (l.Bias is null ? 0 : l.OutFeatures),
            Conv2d c => outElems * (2L * c.InChannels * c.Kernel * c.Kernel + (c.Bias is null ? 0 : 1)),
            BatchNorm => 4 * outElems,
            MaxPool2d or AvgPool2d => input.Length,
            GlobalAvgPool => input.Length,
            Flatten => 0,
            _ => outElems,
        };
    }

    /// <summary>The table as text, with totals.</summary>
    public string Format()
    {
        static string Dims(Shape s) => "(" + string.Join(", ", s.ToArray().Skip(1)) + ")";
        var rows = Layers.Select(l => (l.Name, l.Kind, Dims(l.Output), N(l.Parameters), N(l.Flops))).ToList();
        var header = ("layer", "kind", "output", "parameters", "FLOPs/image");
        int w1 = Math.Max(header.Item1.Length, rows.Max(r => r.Name.Length));
        int w2 = Math.Max(header.Item2.Length, rows.Max(r => r.Kind.Length));
        int w3 = Math.Max(header.Item3.Length, rows.Max(r => r.Item3.Length));
        int w4 = Math.Max(header.Item4.Length, rows.Max(r => r.Item4.Length));
        int w5 = Math.Max(header.Item5.Length, rows.Max(r => r.Item5.Length));
        var sb = new StringBuilder();
        sb.AppendLine($"input {Dims(Input)}");
        sb.AppendLine($"{header.Item1.PadRight(w1)}  {header.Item2.PadRight(w2)}  {header.Item3.PadRight(w3)}  {header.Item4.PadLeft(w4)}  {header.Item5.PadLeft(w5)}");
        foreach (var r in rows)
            sb.AppendLine($"{r.Name.PadRight(w1)}  {r.Kind.PadRight(w2)}  {r.Item3.PadRight(w3)}  {r.Item4.PadLeft(w4)}  {r.Item5.PadLeft(w5)}");
        sb.Append($"total: {N(Parameters)} parameters, {N(Flops)} FLOPs per image ({(Flops / 1e6).ToString("F2", CultureInfo.InvariantCulture)} MFLOPs)");
        return sb.ToString();
    }

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
}
