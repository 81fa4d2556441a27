// Model weights as PyTorch keeps them: a weights-only model.safetensors (parameters and buffers under
// their PyTorch names, plus each BatchNorm's num_batches_tracked as I64, so that load_state_dict with
// strict=True accepts it), and the way back: a state dict saved by PyTorch as the starting weights of
// a run. Names, shapes and dtypes are checked before anything is copied, and the first mismatch is
// named; F16, BF16 and F64 are converted to float32; integer buffers this engine has no use for
// (num_batches_tracked) are skipped, and each skip is said.
using System.Globalization;
using Activations.Engine;
using Activations.Engine.Nn;

namespace Activations.Training.Checkpoints;

public static class PyTorchWeights
{
    /// <summary>The value of the project's own tag (under <see cref="CheckpointMetadata.TagKey"/>) in a weights-only file.</summary>
    public const string WeightsFormat = "activations-weights-1";

    /// <summary>The PyTorch counter each BatchNorm has and this engine does not keep.</summary>
    public const string BatchCounter = "num_batches_tracked";

    /// <summary>Writes <paramref name="model"/>'s parameters and buffers to <paramref name="path"/>, weights only.</summary>
    public static void Export(Module model, string path, long batchesTracked, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var tensors = model.NamedParameters().Concat(model.NamedBuffers())
            .Select(p => (p.Name, p.Tensor.Shape.ToArray(), p.Tensor.ToArray(), "F32")).ToList();
        foreach (var (prefix, _) in NamedModules(model, "").Where(m => m.Module is BatchNorm))
            tensors.Add((prefix + BatchCounter, Array.Empty<int>(), [batchesTracked], "I64"));
        var meta = new Dictionary<string, string>
        {
            [CheckpointMetadata.FormatKey] = CheckpointMetadata.SafetensorsFormat,
            [CheckpointMetadata.TagKey] = WeightsFormat,
        };
        foreach (var (k, v) in extraMetadata ?? new Dictionary<string, string>()) meta[k] = v;
        SafeTensors.Write(path, tensors, meta);
    }

    /// <summary>Every module below <paramref name="model"/> with its dotted prefix ("bn1.").</summary>
    private static IEnumerable<(string Prefix, Module Module)> NamedModules(Module model, string prefix)
    {
        foreach (var (name, child) in model.Children)
        {
            yield return (prefix + name + ".", child);
            foreach (var m in NamedModules(child, prefix + name + ".")) yield return m;
        }
    }

    /// <summary>
    /// Copies the weights in <paramref name="path"/> (a PyTorch state dict saved as safetensors, or a
    /// file this app wrote) into <paramref name="model"/>; says on <paramref name="log"/> what was
    /// converted or skipped. Throws CheckpointException naming the first tensor that does not fit.
    /// </summary>
    public static void InitFrom(Module model, string path, TextWriter log)
    {
        var content = SafeTensors.Read(path);
        var expected = model.NamedParameters().Concat(model.NamedBuffers()).ToList();
        foreach (var (name, tensor) in expected)
        {
            if (!content.Tensors.TryGetValue(name, out var stored))
                throw new CheckpointException($"{path}: has no tensor '{name}' (the model expects {tensor.Shape}); was it saved from another architecture?");
            if (stored.IsInteger)
                throw new CheckpointException($"{path}: tensor '{name}' is {stored.Dtype}, but the model's '{name}' holds floating-point values");
            if (!stored.Shape.AsSpan().SequenceEqual(tensor.Shape.Dims))
                throw new CheckpointException($"{path}: tensor '{name}' has shape {SafeTensors.FormatShape(stored.Shape)} but the model's is {tensor.Shape}");
        }
        var known = expected.Select(e => e.Name).ToHashSet();
        bool ours = content.Metadata.TryGetValue(CheckpointMetadata.TagKey, out var tag) && tag == CheckpointMetadata.Format
                    || content.Metadata.GetValueOrDefault(CheckpointMetadata.FormatKey) == CheckpointMetadata.Format;
        var skipped = new List<string>();
        int optimizerTensors = 0;
        foreach (var name in content.Order)
        {
            if (known.Contains(name)) continue;
            var stored = content.Tensors[name];
            if (ours && name.StartsWith(Checkpoint.OptimizerPrefix, StringComparison.Ordinal)) { optimizerTensors++; continue; }
            if (stored.IsInteger) { skipped.Add($"'{name}' ({stored.Dtype})"); continue; }
            throw new CheckpointException($"{path}: holds tensor '{name}' ({stored.Dtype} {SafeTensors.FormatShape(stored.Shape)}), which this model does not have; was it saved from another architecture?");
        }
        foreach (var (name, tensor) in expected) tensor.CopyFrom(content.Tensors[name].Data);

        log.WriteLine($"initialised {expected.Count} tensors from {path}");
        foreach (var group in expected.Select(e => content.Tensors[e.Name].Dtype).Where(d => d != "F32").GroupBy(d => d))
            log.WriteLine($"  converted {group.Count().ToString(CultureInfo.InvariantCulture)} {group.Key} tensors to F32");
        if (skipped.Count > 0)
            log.WriteLine($"  skipped integer buffers this engine does not keep: {string.Join(", ", skipped)}");
        if (optimizerTensors > 0)
            log.WriteLine($"  ignored {optimizerTensors.ToString(CultureInfo.InvariantCulture)} optimizer tensors (the run starts a fresh optimizer; use --resume to continue one)");
    }
}
