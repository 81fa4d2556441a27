// Everything that defines one training run: what `activations train` takes on its command line, what
// a study grid expands into, and what config.json, run.json and a checkpoint's metadata hold.
using System.Globalization;
using System.Text.Json.Serialization;
using Activations.Training.Models;

namespace Activations.Training.Run;

/// <summary>The model's settings (ModelSettings: model, dataset, activation, α, init, seed), then the training's.</summary>
public sealed record RunConfig : ModelSettings
{
    public int Epochs { get; init; } = 5;
    public int Batch { get; init; } = 64;
    public float Lr { get; init; } = 0.01f;
    public float Momentum { get; init; } = 0.9f;
    public bool Nesterov { get; init; }
    /// <summary>null: 0, or 0.01 for AdamW (PyTorch's defaults).</summary>
    public float? WeightDecay { get; init; }
    public string Optimizer { get; init; } = "sgd";
    public string Schedule { get; init; } = "constant";
    public string Device { get; init; } = "auto";
    public string? Data { get; init; }
    public string? Mirror { get; init; }
    public string Out { get; init; } = "runs";
    public int LimitTrain { get; init; }
    public int LimitTest { get; init; }
    public bool Augment { get; init; }
    public string? Resume { get; init; }
    /// <summary>Starting weights: a safetensors state dict of the same architecture (PyTorch's, or one `export` wrote).</summary>
    public string? InitFrom { get; init; }
    /// <summary>Steps between checks for NaN/Inf in the loss, gradients and parameters (and at each epoch's end).</summary>
    public int CheckEvery { get; init; } = 100;
    /// <summary>Clip the global gradient norm to this before each step; null: no clipping.</summary>
    public float? ClipGradNorm { get; init; }
    /// <summary>Training images held out (ValidationSplit, seeded by Seed) for validation and model selection; 0: none.</summary>
    public int Val { get; init; }
    /// <summary>Label smoothing ε of the training loss (PyTorch's label_smoothing); 0: none.</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>Settings this app has no field for (a grid's pass-through options, other tools' config.json keys).</summary>
    public SortedDictionary<string, string> Extra { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Stable id, e.g. "talu-a1-fixed-default-s3": also a grid run's folder name.</summary>
    [JsonIgnore]
    public string Id => $"{Key}-s{Seed.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The configuration without its seed: "talu-a1-fixed-default". Runs with one key are repeats.</summary>
    [JsonIgnore]
    public string Key => ConfigKey(Activation, Alpha, LearnableAlpha, Init);

    /// <summary>
    /// Everything except seed and id, as one string: two runs are of the same configuration exactly
    /// when their settings keys are equal (the key alone ignores dataset, model, epochs, ...).
    /// </summary>
    [JsonIgnore]
    public string SettingsKey => string.Join("|", Dataset, Model, Key, Epochs, Batch, Num(Lr), Num(Momentum), string.Join(" ", RecipeChanges),
        string.Join(",", Extra.Select(kv => $"{kv.Key}={kv.Value}")));

    /// <summary>The recipe settings beyond batch, lr and momentum that differ from the defaults, as "name=value" ("optimizer=adam", "val=5000").</summary>
    [JsonIgnore]
    public IEnumerable<string> RecipeChanges
    {
        get
        {
            if (Optimizer != "sgd") yield return $"optimizer={Optimizer}";
            if (Schedule != "constant") yield return $"schedule={Schedule}";
            if (WeightDecay is { } wd) yield return $"weight_decay={Num(wd)}";
            if (Nesterov) yield return "nesterov";
            if (Augment) yield return "augment";
            if (LabelSmoothing != 0) yield return $"label_smoothing={Num(LabelSmoothing)}";
            if (ClipGradNorm is { } clip) yield return $"clip_grad_norm={Num(clip)}";
            if (Val != 0) yield return $"val={Val.ToString(CultureInfo.InvariantCulture)}";
        }
    }

    /// <summary>"talu-a1-fixed-default", "relu-default": the id of a configuration without its seed.</summary>
    public static string ConfigKey(string activation, float? alpha, bool learnable, string init) =>
        alpha is null
            ? $"{activation}-{init}"
            : $"{activation}-a{Num(alpha.Value)}-{(learnable ? "learn" : "fixed")}-{init}";

    /// <summary>Shortest round-trip invariant form: 1, 0.5, 0.01.</summary>
    public static string Num(float v) => v.ToString("R", CultureInfo.InvariantCulture);

    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this, RunJson.Options);
}
