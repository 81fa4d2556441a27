namespace Activations.Training.Models;

/// <summary>What ModelFactory needs to build and initialise a model: the part of a RunConfig that defines the model.</summary>
public record ModelSettings
{
    /// <summary>One of ModelFactory.Names.</summary>
    public string Model { get; init; } = "mlp";

    /// <summary>A --dataset value as DatasetSource spells it (mnist, fashion-mnist, kmnist, cifar10, idx:DIR, folder:DIR).</summary>
    public string Dataset { get; init; } = "mnist";

    /// <summary>folder: data sets only: the side images are brought to; null: ImageFolderDataset's size rule.</summary>
    public int? ImageSize { get; init; }

    /// <summary>Activation name as ActivationCatalog spells it ("relu", "talu", ...).</summary>
    public string Activation { get; init; } = "relu";

    /// <summary>α (ELU/TaLU/ExLU) or the negative slope (LeakyReLU); null: its default (α = 1, slope 0.01), or none.</summary>
    public float? Alpha { get; init; }
    public bool LearnableAlpha { get; init; }
    public bool AlphaPerChannel { get; init; }

    /// <summary>Weight-initialisation scheme name ("default", "he", "xavier", ...).</summary>
    public string Init { get; init; } = "default";

    /// <summary>Seeds the initial weights (each parameter from the seed and its name) and, in a run, the data order.</summary>
    public ulong Seed { get; init; }
}
