// Options for loading CIFAR-10: where decoded images are cached, an optional per-class subset, how many
// threads decode, and where progress lines go.
namespace Activations.Training.Data;

public sealed class Cifar10LoadOptions
{
    /// <summary>
    /// The data folder; decoded image trees are cached in its cifar10-cache/ subfolder. Null: no cache.
    /// The binary release needs no cache (it is raw pixels already).
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Take at most this many training images of each class (the first in name order within the
    /// folder, or in archive order inside an archive). Null: all.</summary>
    public int? MaxTrainPerClass { get; init; }

    /// <summary>As <see cref="MaxTrainPerClass"/>, for the test split.</summary>
    public int? MaxTestPerClass { get; init; }

    /// <summary>Threads that decode images; defaults to the processor count.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Receives one-line progress and cache messages (e.g. "cache corrupt, rebuilding").</summary>
    public Action<string>? Log { get; init; }
}
