// Commands that need a model but no data: `activations summary` (layers, output shapes, parameter
// count, FLOPs per image) and `activations graph` (one recorded training step on a random batch,
// written as Graphviz DOT, or drawn as SVG/PNG by Graphviz's `dot` when it is installed).
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Activations.Engine;
using Activations.Engine.Autograd;
using Activations.Training.Models;
using Activations.Training.Run;

namespace Activations.Training.Cli;

public static class ModelCommands
{
    private static readonly Option<string?> DatasetOpt = new("--dataset") { Description = "input shape of this data set: mnist (1×28×28) or cifar10 (3×32×32); default: mnist for mlp and cnn, cifar10 for lenet and vgg" };
    private static readonly Option<bool> LearnableOpt = new("--learnable-alpha") { Description = "learn α (ELU, TaLU, ExLU, LeakyReLU): α becomes a parameter in the graph" };
    private static readonly Option<string> DeviceOpt = new("--device") { Description = "auto, cpu, opencl[:N], cuda[:N]", DefaultValueFactory = _ => "cpu" };
    private static readonly Option<int> BatchOpt = new("--batch") { Description = "images in the random batch of the recorded step", DefaultValueFactory = _ => 4 };
    private static readonly Option<string?> FormatOpt = new("--format") { Description = "dot, svg or png (default: from --out's extension, else dot); svg and png need Graphviz's dot" };
    private static readonly Option<string> OutOpt = new("--out") { Description = "file to write", Required = true };

    public static Command BuildSummary()
    {
        var c = new Command("summary", "print a model's layers, output shapes, parameter count and FLOPs per image");
        foreach (var o in new Option[] { CommandLine.ModelOpt, CommandLine.ActivationOpt, DatasetOpt, LearnableOpt, DeviceOpt }) c.Options.Add(o);
        return c;
    }

    public static Command BuildGraph()
    {
        var c = new Command("graph", "record one training step of a model on a random batch and write its autograd graph (ops, shapes, saved tensors, backward edges)");
        foreach (var o in new Option[] { CommandLine.ModelOpt, CommandLine.ActivationOpt, DatasetOpt, LearnableOpt, BatchOpt, FormatOpt, OutOpt, DeviceOpt }) c.Options.Add(o);
        return c;
    }

    /// <summary>The configuration of a model built without data: the options given, the rest default.</summary>
    private static RunConfig ModelConfig(ParseResult p)
    {
        string model = (p.GetValue(CommandLine.ModelOpt) ?? "").Trim().ToLowerInvariant();
        string dataset = p.GetValue(DatasetOpt)?.Trim().ToLowerInvariant() ?? ModelFactory.DefaultDataset(model);
        return CommandLine.Validate(new RunConfig
        {
            Model = model,
            Dataset = dataset,
            Activation = (p.GetValue(CommandLine.ActivationOpt) ?? "").Trim().ToLowerInvariant(),
            LearnableAlpha = p.GetValue(LearnableOpt),
            Device = (p.GetValue(DeviceOpt) ?? "cpu").Trim().ToLowerInvariant(),
        });
    }

    public static int RunSummary(ParseResult p, Console2 console)
    {
        var config = ModelConfig(p);
        using var device = Device.Create(config.Device);
        console.Out.WriteLine($"{config.Model} ({config.Activation}) for {config.Dataset}");
        console.Out.WriteLine(Summary(config, device).Format());
        return CommandLine.Ok;
    }

    /// <summary>The summary of the model <paramref name="config"/> describes (built afresh, then freed).</summary>
    public static ModelSummary Summary(RunConfig config, Device device)
    {
        var image = ModelFactory.InputShape(config.Dataset);
        using var model = ModelFactory.Create(config, device, image.C * image.H * image.W, 10);
        return ModelSummary.Of(model, device, image);
    }

    public static int RunGraph(ParseResult p, Console2 console)
    {
        var config = ModelConfig(p);
        int batch = p.GetValue(BatchOpt);
        if (batch < 2) throw new UsageException($"--batch must be at least 2 (BatchNorm needs two values per channel); got {batch}");
        string output = p.GetValue(OutOpt)!;
        string format = (p.GetValue(FormatOpt) ?? Path.GetExtension(output).TrimStart('.')).Trim().ToLowerInvariant();
        if (format == "gv") format = "dot";
        if (format is not ("dot" or "svg" or "png"))
            throw new UsageException($"--format: unknown format '{format}'; expected dot, svg or png");
        string full = Path.GetFullPath(output);
        if (Path.GetDirectoryName(full) is { } dir && !Directory.Exists(dir))
            throw new UsageException($"--out: folder '{dir}' does not exist");

        string dot;
        using (var device = Device.Create(config.Device))
        {
            var (c, h, w) = ModelFactory.InputShape(config.Dataset);
            using var model = ModelFactory.Create(config, device, c * h * w, 10);
            using var scope = TensorScope.Begin();
            var x = Tensor.Uniform(device, new Shape(batch, c, h, w), 0f, 1f, seed: 1);
            x.Name = "images";
            using var labels = IntBuffer.FromArray(device, Enumerable.Range(0, batch).Select(i => i % 10).ToArray());
            var loss = Tensor.SoftmaxCrossEntropy(model.Forward(x), labels);
            dot = GraphExport.ToDot(loss, $"{config.Model} ({config.Activation}), one training step, batch {batch}");
            loss.Backward(); // the step the graph describes runs, so the graph is one that backward accepts
        }

        if (format == "dot")
        {
            File.WriteAllText(full, dot);
            console.Out.WriteLine($"wrote {output} (render: dot -Tpng {output} -o graph.png)");
            return CommandLine.Ok;
        }
        string dotFile = Path.ChangeExtension(full, ".dot");
        File.WriteAllText(dotFile, dot);
        var (ok, message) = Render(dotFile, full, format);
        if (!ok)
        {
            console.Error.WriteLine($"error: {message}; wrote the graph as DOT to {dotFile} instead. " +
                $"Install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; Windows: winget install graphviz) and run: dot -T{format} {dotFile} -o {output}");
            return CommandLine.Failure;
        }
        console.Out.WriteLine($"wrote {output} (and its source {dotFile})");
        return CommandLine.Ok;
    }

    /// <summary>Runs Graphviz's dot; false with the reason when it is missing or fails.</summary>
    private static (bool Ok, string Message) Render(string dotFile, string output, string format)
    {
        var start = new ProcessStartInfo("dot") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { $"-T{format}", dotFile, "-o", output }) start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start)!;
            string err = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0
                ? (true, "")
                : (false, $"Graphviz's dot failed (exit {process.ExitCode.ToString(CultureInfo.InvariantCulture)}): {err.ReplaceLineEndings(" ").Trim()}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (false, $"Graphviz's dot is not installed, so {Path.GetFileName(output)} was not drawn");
        }
    }
}
