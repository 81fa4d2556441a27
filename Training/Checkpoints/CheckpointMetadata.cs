// The metadata a training checkpoint carries beside its tensors: where training stands (epochs done,
// steps into the next one, that partial epoch's loss sum and seconds), each parameter's optimizer
// step count, and the run's configuration as JSON. Written and parsed here only.
using System.Globalization;
using System.Text.Json;

namespace Activations.Training.Checkpoints;

public sealed record CheckpointMetadata
{
    /// <summary>This project's tag of a training checkpoint, kept under <see cref="TagKey"/>.</summary>
    public const string Format = "activations-checkpoint-1";

    /// <summary>
    /// safetensors' own "format" key holds "pt", as Hugging Face loaders require (pt, tf, flax or mlx):
    /// the tensors are named and laid out as in PyTorch's state_dict. The project's tag goes under TagKey.
    /// </summary>
    public const string FormatKey = "format", SafetensorsFormat = "pt", TagKey = "activations_format";

    /// <summary>The key of the configuration JSON.</summary>
    public const string ConfigKey = "config";

    /// <summary>Where training stands: epochs done, steps into the next, that partial epoch's loss sum and seconds.</summary>
    public required ResumePoint Position { get; init; }

    /// <summary>Steps since the start of training (informational).</summary>
    public long Step { get; init; }
    public ulong Seed { get; init; }
    public string? Device { get; init; }
    public string? Optimizer { get; init; }

    /// <summary>The run's configuration JSON (RunConfig.ToJson).</summary>
    public string? Config { get; init; }

    /// <summary>Optimizer steps taken per parameter name (Adam's bias correction needs them).</summary>
    public IReadOnlyDictionary<string, long> OptimizerSteps { get; init; } = new Dictionary<string, long>();

    public Dictionary<string, string> ToDictionary()
    {
        var meta = new Dictionary<string, string>
        {
            [FormatKey] = SafetensorsFormat,
            [TagKey] = Format,
            ["epoch"] = Position.Epoch.ToString(CultureInfo.InvariantCulture),
            ["step_in_epoch"] = Position.StepInEpoch.ToString(CultureInfo.InvariantCulture),
            ["step"] = Step.ToString(CultureInfo.InvariantCulture),
            ["epoch_loss_sum"] = Position.LossSum.ToString("R", CultureInfo.InvariantCulture),
            ["epoch_seconds"] = Position.Seconds.ToString("R", CultureInfo.InvariantCulture),
            ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
        };
        if (Device is not null) meta["device"] = Device;
        if (Config is not null) meta[ConfigKey] = Config;
        if (Optimizer is not null) meta["optimizer"] = Optimizer;
        meta["optimizer_steps"] = JsonSerializer.Serialize(OptimizerSteps);
        return meta;
    }

    /// <summary>
    /// Reads the metadata of <paramref name="checkpoint"/>; throws CheckpointException naming the
    /// missing or invalid key. Checkpoints written only at epoch ends may lack step_in_epoch (read as 0).
    /// </summary>
    public static CheckpointMetadata Parse(IReadOnlyDictionary<string, string> meta, string checkpoint)
    {
        int epoch = Int(meta, "epoch", checkpoint);
        int inEpoch = meta.ContainsKey("step_in_epoch") ? Int(meta, "step_in_epoch", checkpoint) : 0;
        float lossSum = 0;
        double seconds = 0;
        if (inEpoch > 0 && (!meta.TryGetValue("epoch_loss_sum", out var ls) || !float.TryParse(ls, NumberStyles.Float, CultureInfo.InvariantCulture, out lossSum)
                            || !meta.TryGetValue("epoch_seconds", out var es) || !double.TryParse(es, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds)))
            throw new CheckpointException($"{checkpoint}: metadata of a mid-epoch checkpoint lacks a valid 'epoch_loss_sum' or 'epoch_seconds'");
        Dictionary<string, long>? steps = null;
        try
        {
            if (meta.TryGetValue("optimizer_steps", out var json)) steps = JsonSerializer.Deserialize<Dictionary<string, long>>(json);
        }
        catch (JsonException) { /* reported per parameter by the reader of OptimizerSteps */ }
        return new CheckpointMetadata
        {
            Position = new ResumePoint(epoch, inEpoch, lossSum, seconds),
            Step = meta.TryGetValue("step", out var st) && long.TryParse(st, NumberStyles.Integer, CultureInfo.InvariantCulture, out long step) ? step : 0,
            Seed = meta.TryGetValue("seed", out var sd) && ulong.TryParse(sd, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong seed) ? seed : 0,
            Device = meta.GetValueOrDefault("device"),
            Optimizer = meta.GetValueOrDefault("optimizer"),
            Config = meta.GetValueOrDefault(ConfigKey),
            OptimizerSteps = steps ?? new Dictionary<string, long>(),
        };
    }

    private static int Int(IReadOnlyDictionary<string, string> meta, string key, string checkpoint) =>
        meta.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 0
            ? n
            : throw new CheckpointException($"{checkpoint}: metadata has no valid '{key}'");
}
