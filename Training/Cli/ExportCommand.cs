// `activations export --checkpoint C --format onnx|safetensors`: a trained run's model as ONNX
// (opset 17), or its weights alone as model.safetensors under PyTorch's names (format "pt"), with the
// model, data set and activation taken from the configuration stored in the checkpoint.
using System.CommandLine;
using Activations.Engine;
using Activations.Training.Checkpoints;
using Activations.Training.Export;
using Activations.Training.Models;

namespace Activations.Training.Cli;

public static class ExportCommand
{
    public static readonly string[] Formats = ["onnx", "safetensors"];
    private static readonly Option<string> CheckpointOpt = new("--checkpoint") { Description = "a run's checkpoint.safetensors", Required = true };
    private static readonly Option<string> FormatOpt = new("--format") { Description = "onnx: an ONNX model (opset 17) of the trained network; safetensors: its weights only, PyTorch names (model.safetensors)", DefaultValueFactory = _ => "onnx" };
    private static readonly Option<string?> OutOpt = new("--out") { Description = "file to write (default: model.onnx or model.safetensors beside the checkpoint)" };

    public static Command Build()
    {
        var c = new Command("export", "write a trained model for other frameworks: ONNX, or weights-only safetensors for PyTorch");
        foreach (var o in new Option[] { CheckpointOpt, FormatOpt, OutOpt }) c.Options.Add(o);
        return c;
    }

    public static int Run(ParseResult p, Console2 console)
    {
        string checkpoint = p.GetValue(CheckpointOpt)!;
        string format = (p.GetValue(FormatOpt) ?? "").Trim().ToLowerInvariant();
        if (!Formats.Contains(format)) throw new UsageException($"--format: unknown format '{format}'; expected one of {string.Join(", ", Formats)}");
        if (!File.Exists(checkpoint)) throw new UsageException($"--checkpoint: file '{checkpoint}' does not exist");
        string output = Path.GetFullPath(p.GetValue(OutOpt) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpoint))!, "model." + format));
        if (Path.GetDirectoryName(output) is { } dir && !Directory.Exists(dir)) throw new UsageException($"--out: folder '{dir}' does not exist");

        var config = PredictionsCommand.StoredConfig(checkpoint);
        using var device = Device.Create("cpu");
        var image = ModelFactory.InputShape(config.Dataset);
        using var model = ModelFactory.Create(config, device, image.C * image.H * image.W, 10);
        var meta = Checkpoint.Load(checkpoint, model.NamedParameters().Concat(model.NamedBuffers()), optimizerState: null);
        model.Eval();
        if (format == "safetensors")
        {
            long steps = CheckpointMetadata.Parse(meta, checkpoint).Step;
            PyTorchWeights.Export(model, output, steps, new Dictionary<string, string> { ["model"] = config.Model, ["activation"] = config.Activation, ["dataset"] = config.Dataset });
            console.Out.WriteLine($"wrote {output} ({config.Model}, {config.Activation}; weights only, PyTorch names)");
            return CommandLine.Ok;
        }
        byte[] bytes = OnnxExporter.Export(model, image, CommandLine.VersionText(), new Dictionary<string, string>
        {
            ["model"] = config.Model,
            ["activation"] = config.Activation,
            ["dataset"] = config.Dataset,
            ["input"] = $"images (batch, {image.C}, {image.H}, {image.W}) normalised as in training (docs/data.md)",
        });
        File.WriteAllBytes(output, bytes);
        console.Out.WriteLine($"wrote {output} ({config.Model}, {config.Activation}; ONNX opset {OnnxGraph.Opset}, {bytes.Length / 1024.0:F0} KiB)");
        return CommandLine.Ok;
    }
}
