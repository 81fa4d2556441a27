// A study grid: activations × α values × fixed/learnable × init schemes × seeds, on one dataset,
// model and training recipe. Expand() turns it into RunConfigs with stable ids, seed-major (all
// configurations of the first seed, then the second, ...) so that an interrupted grid already
// holds complete comparisons for the seeds it finished.
//
// α applies only where the activation has a parameter: ELU/TaLU/ExLU take each of Alphas,
// LeakyReLU takes each of LeakySlopes (α = 1 would make it the identity), and the parameter-free
// activations (ReLU, tanh, sigmoid, GELU, SiLU) get one configuration per init with no α and no
// learnable flag — "relu-default-s3", never "relu-a1-learn-default-s3". An entry "name:α" (for
// example "exlu:0.2") pins that activation to the one α given, overriding Alphas/LeakySlopes, so
// one grid can hold TaLU at α = 1 beside ExLU at α = 0.2.
using Activations.Engine;
using Activations.Training.Run;
using Activations.Kernels.Activations;

namespace Activations.Training.Study;

public sealed record GridSpec
{
    public required string Dataset { get; init; }
    public required string Model { get; init; }
    public required int Epochs { get; init; }
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 0.01;
    public double Momentum { get; init; } = 0.9;
    public string Device { get; init; } = "auto";

    // The rest of `train`'s recipe (RunConfig has the meaning of each); the defaults are the recipe grids had before these existed.
    public string Optimizer { get; init; } = "sgd";
    public string Schedule { get; init; } = "constant";
    public float? WeightDecay { get; init; }
    public bool Nesterov { get; init; }
    public bool Augment { get; init; }
    public float LabelSmoothing { get; init; }
    public float? ClipGradNorm { get; init; }
    public int Val { get; init; }

    /// <summary>Activation names ("relu", "talu", "exlu:0.2", ...); parsed by ActivationCatalog.</summary>
    public required IReadOnlyList<string> Activations { get; init; }

    /// <summary>α values for ELU, TaLU and ExLU.</summary>
    public IReadOnlyList<double> Alphas { get; init; } = [1.0];

    /// <summary>Negative slopes for LeakyReLU.</summary>
    public IReadOnlyList<double> LeakySlopes { get; init; } = [0.01];

    /// <summary>false = fixed α, true = learnable α; both to compare them.</summary>
    public IReadOnlyList<bool> Learnable { get; init; } = [false];

    /// <summary>Weight-initialisation scheme names, passed to the train function as they are.</summary>
    public IReadOnlyList<string> Inits { get; init; } = ["default"];

    public required IReadOnlyList<int> Seeds { get; init; }

    /// <summary>Further app options, copied into every RunConfig.</summary>
    public SortedDictionary<string, string> Extra { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Every run of the grid with its id, seed-major; throws on unknown activations, bad α, duplicates.</summary>
    public IReadOnlyList<RunConfig> Expand()
    {
        Validate();
        var runs = new List<RunConfig>();
        foreach (int seed in Seeds)
            foreach (string entry in Activations)
            {
                var (name, pinned) = SplitEntry(entry);
                var kind = ActivationCatalog.Parse(name);
                string act = kind.Name;
                foreach (string init in Inits)
                {
                    if (!kind.HasParameter)
                    {
                        if (pinned is not null) throw new ArgumentException($"activation '{entry}': {act} has no α to pin");
                        runs.Add(Make(act, null, false, init, seed));
                        continue;
                    }
                    var values = pinned is double one ? [one] : kind.Parameters[0].Name == "slope" ? LeakySlopes : Alphas;
                    foreach (double a in values)
                    {
                        kind.Validate((float)a);
                        foreach (bool learn in Learnable) runs.Add(Make(act, a, learn, init, seed));
                    }
                }
            }
        var dup = runs.GroupBy(r => r.Id).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
            throw new ArgumentException($"grid lists run '{dup.Key}' {dup.Count()} times: remove the repeated activation, α, init or seed");
        return runs;
    }

    /// <summary>"exlu:0.2" → ("exlu", 0.2); "relu" → ("relu", null). Throws on an unreadable α.</summary>
    public static (string Name, double? Alpha) SplitEntry(string entry)
    {
        int colon = entry.IndexOf(':');
        if (colon < 0) return (entry, null);
        string text = entry[(colon + 1)..];
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double a) || !double.IsFinite(a))
            throw new ArgumentException($"activation '{entry}': '{text}' is not a number (write name:α, e.g. exlu:0.2)");
        return (entry[..colon], a);
    }

    private RunConfig Make(string act, double? alpha, bool learn, string init, int seed) => new()
    {
        Dataset = Dataset,
        Model = Model,
        Activation = act,
        Alpha = (float?)alpha,
        LearnableAlpha = learn,
        Init = init,
        Epochs = Epochs,
        Batch = BatchSize,
        Lr = (float)LearningRate,
        Momentum = (float)Momentum,
        Optimizer = Optimizer,
        Schedule = Schedule,
        WeightDecay = WeightDecay,
        Nesterov = Nesterov,
        Augment = Augment,
        LabelSmoothing = LabelSmoothing,
        ClipGradNorm = ClipGradNorm,
        Val = Val,
        Seed = (ulong)seed,
        Device = Device,
        Extra = new SortedDictionary<string, string>(Extra, StringComparer.Ordinal),
    };

    private void Validate()
    {
        if (Activations.Count == 0) throw new ArgumentException("grid has no activations");
        if (Seeds.Count == 0) throw new ArgumentException("grid has no seeds");
        if (Inits.Count == 0) throw new ArgumentException("grid has no init schemes");
        if (Learnable.Count == 0) throw new ArgumentException("grid has neither fixed nor learnable α");
        if (Epochs < 1) throw new ArgumentException($"grid needs at least one epoch; got {Epochs}");
        foreach (string init in Inits)
            if (string.IsNullOrWhiteSpace(init) || init.IndexOfAny(['/', '\\', ' ']) >= 0)
                throw new ArgumentException($"init scheme '{init}' cannot be part of a folder name");
    }

    /// <summary>The grid in canonical JSON: two grids are the same grid exactly when these are equal.</summary>
    public string CanonicalJson() => System.Text.Json.JsonSerializer.Serialize(this, RunJson.Options);

    /// <summary>
    /// The first place where <paramref name="given"/> differs from this (stored) spec, in canonical
    /// JSON order, as "epochs: stored 1, given 2"; null when they are the same grid.
    /// </summary>
    public string? FirstDifference(GridSpec given) =>
        FirstDifference("", System.Text.Json.Nodes.JsonNode.Parse(CanonicalJson()), System.Text.Json.Nodes.JsonNode.Parse(given.CanonicalJson()));

    private static string? FirstDifference(string at, System.Text.Json.Nodes.JsonNode? stored, System.Text.Json.Nodes.JsonNode? given)
    {
        static string Text(System.Text.Json.Nodes.JsonNode? n) => n?.ToJsonString() ?? "(none)";
        if (stored is System.Text.Json.Nodes.JsonObject so && given is System.Text.Json.Nodes.JsonObject go)
        {
            foreach (string key in so.Select(p => p.Key).Concat(go.Select(p => p.Key)).Distinct())
                if (FirstDifference(at.Length == 0 ? key : $"{at}.{key}", so[key], go[key]) is { } d) return d;
            return null;
        }
        if (stored is System.Text.Json.Nodes.JsonArray sa && given is System.Text.Json.Nodes.JsonArray ga && sa.Count == ga.Count)
        {
            for (int i = 0; i < sa.Count; i++)
                if (FirstDifference($"{at}[{i}]", sa[i], ga[i]) is not null) return $"{at}: stored {Text(sa)}, given {Text(ga)}";
            return null;
        }
        return System.Text.Json.Nodes.JsonNode.DeepEquals(stored, given) ? null : $"{at}: stored {Text(stored)}, given {Text(given)}";
    }
}
