// CIFAR-10 for the trainer: finds the data (folder, archive or mirror copy), decodes it once (cached),
// normalises with the training set's channel statistics and, with --augment, fills each training
// epoch with a seeded random crop (4-pixel zero padding) and horizontal flip.
namespace Activations.Training.Data;

/// <summary>Fills a training epoch's images on the host in the batcher's order (augmentation hook).</summary>
public interface IEpochFill
{
    void Fill(int epoch, ReadOnlySpan<int> order, Span<float> destination);
}

public sealed class Cifar10Training : IEpochFill
{
    private readonly Cifar10Split _train;
    private readonly Cifar10Augmentation _augmentation;
    private readonly ulong _seed;
    /// <summary>Index in the decoded training split of each image of <see cref="Train"/>.</summary>
    private readonly int[] _trainIndices;

    public ImageSplit Train { get; }
    /// <summary>The held-out images (--val), normalised and never augmented; null without --val.</summary>
    public ImageSplit? Validation { get; }
    public ImageSplit Test { get; }
    public bool Augment { get; }

    private Cifar10Training(Cifar10Dataset data, bool augment, ulong seed, int val)
    {
        var (mean, std) = data.TrainStatistics;
        _train = data.Train;
        _augmentation = new Cifar10Augmentation(mean, std);
        _seed = seed;
        Augment = augment;
        var all = ToSplit(data.Train, _augmentation);
        var (kept, held) = ValidationSplit.Indices(all.Count, val, seed);
        _trainIndices = kept;
        Train = val == 0 ? all : all.Subset(kept);
        Validation = val == 0 ? null : all.Subset(held);
        Test = ToSplit(data.Test, _augmentation);
    }

    /// <summary>
    /// Loads CIFAR-10 from <paramref name="source"/> (binary batches or image tree; folder or archive),
    /// caching decoded images under <paramref name="cacheDirectory"/>. Limits keep the first
    /// N/10 images of each class (0: all).
    /// </summary>
    public static Cifar10Training Load(string source, string cacheDirectory, int limitTrain, int limitTest, bool augment, ulong seed,
        Action<string>? log = null, int val = 0)
    {
        var options = new Cifar10LoadOptions
        {
            CacheDirectory = cacheDirectory,
            MaxTrainPerClass = limitTrain > 0 ? Math.Max(1, limitTrain / 10) : null,
            MaxTestPerClass = limitTest > 0 ? Math.Max(1, limitTest / 10) : null,
            Log = log,
        };
        return new Cifar10Training(Cifar10Dataset.Load(source, options), augment, seed, val);
    }

    private static ImageSplit ToSplit(Cifar10Split split, Cifar10Augmentation normalise)
    {
        var images = new float[split.Count * Cifar10Split.ImageBytes];
        var all = Enumerable.Range(0, split.Count).ToArray();
        normalise.Fill(split, all, images, 0, 0, augment: false);
        return new ImageSplit(images, split.Labels, Cifar10Split.Channels, Cifar10Split.Height, Cifar10Split.Width, Cifar10Split.ClassCount)
        {
            ClassNames = Cifar10Dataset.ClassNames,
        };
    }

    /// <summary>The training epoch in batcher order (indices into <see cref="Train"/>), augmented when enabled (seeded by run seed and epoch).</summary>
    public void Fill(int epoch, ReadOnlySpan<int> order, Span<float> destination)
    {
        var decoded = new int[order.Length];
        for (int i = 0; i < order.Length; i++) decoded[i] = _trainIndices[order[i]];
        _augmentation.Fill(_train, decoded, destination, _seed, epoch, Augment);
    }
}
