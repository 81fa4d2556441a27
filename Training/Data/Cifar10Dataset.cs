// CIFAR-10 in memory: the train and test splits as (N, 3, 32, 32) bytes plus labels, loaded from
// whichever form is on disk — the official binary batches (folder or cifar-10-binary.tar.gz) or an
// image-folder tree (folder or .tar/.tar.gz, e.g. the shared cifar10-jpeg.tar.gz) — and the per-channel
// statistics used to normalise it.
//
// Normalisation: training uses the mean and standard deviation of each channel over the loaded
// training set (TrainStatistics), because the JPEG copy of CIFAR-10 has slightly different pixels from
// the official release. The usual published constants — computed the same way on the official
// training set — are kept as StandardMean/StandardStd for comparison and for callers that want them.
namespace Activations.Training.Data;

public sealed class Cifar10Dataset
{
    /// <summary>Per-channel (R, G, B) mean of the official training set, pixels scaled to [0, 1].</summary>
    public static readonly float[] StandardMean = [0.4914f, 0.4822f, 0.4465f];

    /// <summary>Per-channel standard deviation of the official training set (over all pixels), in [0, 1] units.</summary>
    public static readonly float[] StandardStd = [0.2470f, 0.2435f, 0.2616f];

    (float[] Mean, float[] Std)? _trainStatistics;

    public Cifar10Dataset(Cifar10Split train, Cifar10Split test)
    {
        Train = train;
        Test = test;
    }

    /// <summary>Class names in label order 0..9.</summary>
    public static IReadOnlyList<string> ClassNames => Cifar10ImageFolder.ClassNames;

    public Cifar10Split Train { get; }

    public Cifar10Split Test { get; }

    /// <summary>Mean and standard deviation of each channel over the training split (computed once).</summary>
    public (float[] Mean, float[] Std) TrainStatistics => _trainStatistics ??= ChannelStatistics(Train);

    /// <summary>
    /// Loads from a folder or archive, recognising the form by its content: the binary batches
    /// (data_batch_*.bin) or an image tree (train/&lt;class&gt;/…). Subset limits apply to both forms.
    /// </summary>
    public static Cifar10Dataset Load(string source, Cifar10LoadOptions? options = null)
    {
        options ??= new Cifar10LoadOptions();
        bool binary;
        if (Directory.Exists(source))
        {
            binary = Cifar10Binary.IsBinaryFolder(source);
            if (!binary && !Cifar10ImageFolder.IsImageTree(source))
                throw new DatasetException($"{source}: neither CIFAR-10 binary batches (data_batch_1.bin …) nor an image tree (train/<class>/…)");
        }
        else if (File.Exists(source)) binary = ArchiveHoldsBinaryBatches(source);
        else throw new DatasetException($"{source}: no such file or folder");

        if (!binary)
        {
            var (train, test) = Cifar10ImageFolder.Load(source, options);
            return new Cifar10Dataset(train, test);
        }
        var (bTrain, bTest) = Cifar10Binary.Load(source);
        return new Cifar10Dataset(FirstPerClass(bTrain, options.MaxTrainPerClass), FirstPerClass(bTest, options.MaxTestPerClass));
    }

    /// <summary>Per-channel mean and (population) standard deviation of a split, pixels scaled to [0, 1].</summary>
    public static (float[] Mean, float[] Std) ChannelStatistics(Cifar10Split split)
    {
        var mean = new float[Cifar10Split.Channels];
        var std = new float[Cifar10Split.Channels];
        for (int c = 0; c < Cifar10Split.Channels; c++)
        {
            // Byte histograms keep the sums exact and the pass cheap.
            var histogram = new long[256];
            for (int i = 0; i < split.Count; i++)
                foreach (byte v in split.Images.AsSpan(i * Cifar10Split.ImageBytes + c * Cifar10Split.PlaneBytes, Cifar10Split.PlaneBytes))
                    histogram[v]++;
            double n = 0, sum = 0, sumSq = 0;
            for (int v = 0; v < 256; v++)
            {
                n += histogram[v];
                sum += histogram[v] * (v / 255.0);
                sumSq += histogram[v] * (v / 255.0) * (v / 255.0);
            }
            double m = n > 0 ? sum / n : 0;
            mean[c] = (float)m;
            std[c] = (float)Math.Sqrt(Math.Max(0, n > 0 ? sumSq / n - m * m : 0));
        }
        return (mean, std);
    }

    // An archive holds the binary release when a .bin file comes before any image; only that far is read.
    static bool ArchiveHoldsBinaryBatches(string path)
    {
        using var archive = TarArchive.Open(path);
        foreach (var entry in archive.Entries())
        {
            if (entry.Type != TarArchiveEntryType.File) continue;
            string extension = Path.GetExtension(entry.Name).ToLowerInvariant();
            if (extension == ".bin") return true;
            if (extension is ".jpg" or ".jpeg" or ".png") return false;
        }
        throw new DatasetException($"{path}: archive holds neither CIFAR-10 batch files (.bin) nor images");
    }

    // The first `max` images of each class, in order (the whole split when max is null).
    static Cifar10Split FirstPerClass(Cifar10Split split, int? max)
    {
        if (max == null) return split;
        var taken = new int[Cifar10Split.ClassCount];
        var keep = new List<int>();
        for (int i = 0; i < split.Count; i++)
            if (taken[split.Labels[i]]++ < max) keep.Add(i);
        var images = new byte[(long)keep.Count * Cifar10Split.ImageBytes];
        var labels = new byte[keep.Count];
        for (int k = 0; k < keep.Count; k++)
        {
            split.Image(keep[k]).CopyTo(images.AsSpan(k * Cifar10Split.ImageBytes));
            labels[k] = split.Labels[keep[k]];
        }
        return new Cifar10Split(images, labels);
    }
}
