// A training checkpoint: the model's parameters by name ("fc1.weight"), the optimizer's state by
// name ("optimizer.fc1.weight.momentum_buffer"), and metadata (epoch, step, seed, config JSON) in
// one .safetensors file. Loading checks that the file holds exactly the tensors the model and
// optimizer expect, with the same shapes and only finite values, and names the first tensor that disagrees.
using Activations.Engine;

namespace Activations.Training.Checkpoints;

public static class Checkpoint
{
    public const string OptimizerPrefix = "optimizer.";

    /// <summary>Writes parameters, optimizer state (when given) and metadata atomically.</summary>
    public static void Save(string path, IEnumerable<(string Name, Tensor Tensor)> parameters,
        IEnumerable<(string Name, Tensor Tensor)>? optimizerState, IReadOnlyDictionary<string, string> metadata)
    {
        var all = Expected(parameters, optimizerState)
            .Select(e => (e.Name, e.Tensor.Shape.ToArray(), e.Tensor.ToArray()));
        SafeTensors.Write(path, all, metadata);
    }

    /// <summary>
    /// Reads <paramref name="path"/> into the given tensors (model parameters, then optimizer state)
    /// after checking names and shapes; returns the metadata. With no optimizer state given, the
    /// file's optimizer tensors are ignored (loading a model to use it, not to train on).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Load(string path, IEnumerable<(string Name, Tensor Tensor)> parameters,
        IEnumerable<(string Name, Tensor Tensor)>? optimizerState)
    {
        var content = SafeTensors.Read(path);
        var expected = Expected(parameters, optimizerState).ToList();
        foreach (var (name, tensor) in expected)
        {
            if (!content.Tensors.TryGetValue(name, out var stored))
                throw new CheckpointException($"{path}: has no tensor '{name}' (the model expects {tensor.Shape}); was it saved from another model or optimizer?");
            if (!stored.Shape.AsSpan().SequenceEqual(tensor.Shape.Dims))
                throw new CheckpointException($"{path}: tensor '{name}' has shape {SafeTensors.FormatShape(stored.Shape)} but the model's is {tensor.Shape}");
        }
        foreach (var (name, _) in expected)
        {
            var data = content.Tensors[name].Data;
            int bad = Array.FindIndex(data, v => !float.IsFinite(v));
            if (bad >= 0)
                throw new CheckpointException($"{path}: tensor '{name}' holds {data.Count(v => !float.IsFinite(v))} non-finite values (NaN or ±Inf; the first at index {bad}): these weights cannot be used");
        }
        var known = expected.Select(e => e.Name).ToHashSet();
        foreach (var name in content.Order)
            if (!known.Contains(name) && !(optimizerState is null && name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)))
                throw new CheckpointException($"{path}: holds tensor '{name}', which this model{(optimizerState is null ? "" : " and optimizer")} does not have");
        foreach (var (name, tensor) in expected) tensor.CopyFrom(content.Tensors[name].Data);
        return content.Metadata;
    }

    private static IEnumerable<(string Name, Tensor Tensor)> Expected(IEnumerable<(string Name, Tensor Tensor)> parameters,
        IEnumerable<(string Name, Tensor Tensor)>? optimizerState)
    {
        foreach (var p in parameters) yield return p;
        if (optimizerState is null) yield break;
        foreach (var (name, t) in optimizerState) yield return (OptimizerPrefix + name, t);
    }
}
