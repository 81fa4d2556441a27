// `activations predictions --checkpoint <run>/checkpoint.safetensors`: the trained model of a run
// classifies the test split; a grid of test images shows predicted and true labels, mistakes framed
// red (Plots.PredictionGrid, drawn with ImageSharp), with a Markdown legend and a CSV of every image.
// The model, data set and activation come from the configuration stored in the checkpoint.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Activations.Engine;
using Activations.Engine.Autograd;
using Activations.Training.Checkpoints;
using Activations.Training.Data;
using Activations.Training.Run;
using Activations.Training.Study;

namespace Activations.Training.Cli;

public static class PredictionsCommand
{
    private static readonly Option<string> CheckpointOpt = new("--checkpoint") { Description = "a run's checkpoint.safetensors", Required = true };
    private static readonly Option<int> CountOpt = new("--count") { Description = "images in the grid", DefaultValueFactory = _ => 50 };
    private static readonly Option<int> ColumnsOpt = new("--columns") { Description = "images per row", DefaultValueFactory = _ => 10 };
    private static readonly Option<bool> WrongOpt = new("--misclassified") { Description = "show only test images the model gets wrong" };
    private static readonly Option<int> LimitTestOpt = new("--limit-test") { Description = "use only the first N test images (0: all)", DefaultValueFactory = _ => 0 };
    private static readonly Option<string?> OutOpt = new("--out") { Description = "PNG to write (default: predictions.png beside the checkpoint)" };
    private static readonly Option<string> DeviceOpt = new("--device") { Description = CommandLine.DeviceHelp, DefaultValueFactory = _ => "auto" };
    private static readonly Option<string?> DataOpt = new("--data") { Description = CommandLine.DataHelp };
    private static readonly Option<string?> MirrorOpt = new("--mirror") { Description = CommandLine.MirrorHelp };

    /// <summary>Bounds of --count and --columns: the grid image stays a few thousand pixels on a side.</summary>
    public const int MaxCount = 1000, MaxColumns = 100;

    public static Command Build()
    {
        var c = new Command("predictions", "draw a grid of test images with the predicted and true labels of a trained run");
        foreach (var o in new Option[] { CheckpointOpt, CountOpt, ColumnsOpt, WrongOpt, LimitTestOpt, OutOpt, DeviceOpt, DataOpt, MirrorOpt }) c.Options.Add(o);
        return c;
    }

    public static int Run(ParseResult p, Console2 console)
    {
        string checkpoint = p.GetValue(CheckpointOpt)!;
        int count = p.GetValue(CountOpt), columns = p.GetValue(ColumnsOpt), limitTest = p.GetValue(LimitTestOpt);
        OptionValues.Range("--count", count, 1, MaxCount);
        OptionValues.Range("--columns", columns, 1, MaxColumns);
        OptionValues.Range("--limit-test", limitTest, 0, int.MaxValue);
        string deviceSpec = OptionValues.Device("--device", p.GetValue(DeviceOpt));
        if (p.GetValue(OutOpt) is { } givenOut) OptionValues.OutputFile("--out", givenOut);
        var config = StoredConfig(checkpoint);

        using var device = Device.Create(deviceSpec);
        var locator = new DatasetLocator(p.GetValue(DataOpt), p.GetValue(MirrorOpt)) { Log = console.Error };
        var test = TrainingData.Load(locator, config.Dataset, 1, limitTest, 0, augment: false, config.Seed, console.Error.WriteLine, config.ImageSize).Test;
        var classNames = test.ClassNames ?? Enumerable.Range(0, test.Classes).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();

        using var model = Models.ModelFactory.Create(config, device, (test.Channels, test.Height, test.Width), test.Classes);
        Checkpoint.Load(checkpoint, model.NamedParameters().Concat(model.NamedBuffers()), optimizerState: null);
        int[] predicted = Predict(model, device, test);
        int correct = predicted.Where((c, i) => c == test.Labels[i]).Count();
        console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{config.Model} ({config.Activation}) on {test.Count} {config.Dataset} test images: {correct} correct, accuracy {100.0 * correct / Math.Max(1, test.Count):F2}%"));

        var chosen = Enumerable.Range(0, test.Count).Where(i => !p.GetValue(WrongOpt) || predicted[i] != test.Labels[i]).Take(count).ToArray();
        if (chosen.Length == 0)
        {
            console.Out.WriteLine("no misclassified test images: nothing to draw");
            return CommandLine.Ok;
        }
        string png = p.GetValue(OutOpt) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpoint))!, "predictions.png");
        byte[] pixels = DisplayBytes(test, chosen);
        var result = Plots.PredictionGrid(pixels, chosen.Length, test.Channels, test.Height, test.Width,
            chosen.Select(i => predicted[i]).ToList(), chosen.Select(i => (int)test.Labels[i]).ToList(), classNames, png, columns);
        console.Out.WriteLine($"wrote {png} ({chosen.Length} images, {result.Wrong} wrong; legend {Path.ChangeExtension(png, ".md")})");
        return CommandLine.Ok;
    }

    /// <summary>The run's configuration, from the checkpoint's metadata.</summary>
    public static RunConfig StoredConfig(string checkpoint)
    {
        var meta = SafeTensors.Read(checkpoint).Metadata;
        if (!meta.TryGetValue(CheckpointMetadata.ConfigKey, out var json))
            throw new CheckpointException($"{checkpoint}: metadata has no 'config' (was it written by `activations train`?)");
        try
        {
            return JsonSerializer.Deserialize<RunConfig>(json, RunJson.Options)
                   ?? throw new CheckpointException($"{checkpoint}: metadata 'config' is empty");
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{checkpoint}: metadata 'config' is not a valid configuration: {e.Message}");
        }
    }

    /// <summary>The predicted class of every image of <paramref name="split"/>, in order (eval mode, no gradients).</summary>
    public static int[] Predict(Engine.Nn.Module model, Device device, ImageSplit split)
    {
        using var _ = GradMode.NoGrad();
        model.Eval();
        var predicted = new int[split.Count];
        using var batcher = new EpochBatcher(device, split, Trainer.EvalBatch, 0, shuffle: false);
        foreach (var batch in batcher.Epoch(0))
        {
            using (TensorScope.Begin())
            {
                var logits = model.Forward(batch.Images).ToArray();
                int classes = logits.Length / batch.Count;
                for (int n = 0; n < batch.Count; n++)
                {
                    int best = 0;
                    for (int c = 1; c < classes; c++)
                        if (logits[n * classes + c] > logits[n * classes + best]) best = c;
                    predicted[batch.Start + n] = best;
                }
            }
            batch.Dispose();
        }
        return predicted;
    }

    /// <summary>
    /// The chosen images as bytes for display: normalisation is a per-channel affine map, so each
    /// channel's range over the whole split is stretched back to 0–255.
    /// </summary>
    private static byte[] DisplayBytes(ImageSplit split, int[] chosen)
    {
        int plane = split.Height * split.Width, size = split.ImageSize;
        var (lo, hi) = (new float[split.Channels], new float[split.Channels]);
        Array.Fill(lo, float.MaxValue);
        Array.Fill(hi, float.MinValue);
        for (int n = 0; n < split.Count; n++)
            for (int c = 0; c < split.Channels; c++)
                foreach (float v in split.Images.AsSpan(n * size + c * plane, plane))
                {
                    if (v < lo[c]) lo[c] = v;
                    if (v > hi[c]) hi[c] = v;
                }
        var bytes = new byte[chosen.Length * size];
        for (int k = 0; k < chosen.Length; k++)
            for (int c = 0; c < split.Channels; c++)
            {
                float scale = hi[c] > lo[c] ? 255f / (hi[c] - lo[c]) : 0f;
                for (int i = 0; i < plane; i++)
                    bytes[k * size + c * plane + i] = (byte)Math.Clamp(MathF.Round((split.Images[chosen[k] * size + c * plane + i] - lo[c]) * scale), 0, 255);
            }
        return bytes;
    }
}
