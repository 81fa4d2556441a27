// Everything that defines a training run, as given on the command line (config.json of a run).
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Activations.Training.Run;

public sealed record TrainConfig
{
    public string Dataset { get; init; } = "mnist";
    public string Model { get; init; } = "mlp";
    public string Activation { get; init; } = "relu";
    /// <summary>The activation's parameter; null: its default (α = 1, LeakyReLU slope 0.01).</summary>
    public float? Alpha { get; init; }
    public bool LearnableAlpha { get; init; }
    public bool AlphaPerChannel { get; init; }
    public string Init { get; init; } = "default";
    public int Epochs { get; init; } = 5;
    public int Batch { get; init; } = 64;
    public float Lr { get; init; } = 0.01f;
    public float Momentum { get; init; } = 0.9f;
    public bool Nesterov { get; init; }
    /// <summary>null: 0, or 0.01 for AdamW (PyTorch's defaults).</summary>
    public float? WeightDecay { get; init; }
    public string Optimizer { get; init; } = "sgd";
    public string Schedule { get; init; } = "constant";
    public ulong Seed { get; init; }
    public string Device { get; init; } = "auto";
    public string? Data { get; init; }
    public string? Mirror { get; init; }
    public string Out { get; init; } = "runs";
    public int LimitTrain { get; init; }
    public int LimitTest { get; init; }
    public bool Augment { get; init; }
    public string? Resume { get; init; }
    /// <summary>Steps between checks for NaN/Inf in the loss, gradients and parameters (and at each epoch's end).</summary>
    public int CheckEvery { get; init; } = 100;
    /// <summary>Clip the global gradient norm to this before each step; null: no clipping.</summary>
    public float? ClipGradNorm { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
