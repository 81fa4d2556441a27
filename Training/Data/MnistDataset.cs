// MNIST-layout data sets in memory (MNIST, Fashion-MNIST, KMNIST, or any idx:DIR): train and test
// images normalised once, (x/255 − mean) / std, into float arrays (N, 1, H, W), with their labels. A
// named set brings its checks, constants and class names (IdxDatasets); an unnamed one is read without
// checksums, normalised by its own training images' statistics, with one class per distinct label.
namespace Activations.Training.Data;

/// <summary>One split: <see cref="Count"/> images of Channels×Height×Width floats and their labels.</summary>
public sealed class ImageSplit(float[] images, byte[] labels, int channels, int height, int width, int classes)
{
    public float[] Images { get; } = images.Length == (long)labels.Length * channels * height * width
        ? images
        : throw new ArgumentException($"{images.Length} pixels do not make {labels.Length} images of {channels}×{height}×{width}");
    public byte[] Labels { get; } = labels;
    public int Count => Labels.Length;
    public int Channels { get; } = channels;
    public int Height { get; } = height;
    public int Width { get; } = width;
    public int ImageSize => Channels * Height * Width;
    public int Classes { get; } = classes;

    /// <summary>The class names by label ("0".."9", "airplane"…), or null when the data set has none.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>A copy holding only the images at <paramref name="indices"/>, in that order.</summary>
    public ImageSplit Subset(IReadOnlyList<int> indices)
    {
        var images = new float[(long)indices.Count * ImageSize];
        var labels = new byte[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Array.Copy(Images, (long)indices[i] * ImageSize, images, (long)i * ImageSize, ImageSize);
            labels[i] = Labels[indices[i]];
        }
        return new ImageSplit(images, labels, Channels, Height, Width, Classes) { ClassNames = ClassNames };
    }
}

public sealed class MnistDataset
{
    public ImageSplit Train { get; }
    public ImageSplit Test { get; }

    /// <summary>The class names by label, as both splits carry them.</summary>
    public IReadOnlyList<string> ClassNames => Train.ClassNames!;

    public MnistDataset(ImageSplit train, ImageSplit test)
    {
        Train = train;
        Test = test;
    }

    /// <summary>MNIST from <paramref name="folder"/>, keeping the first <paramref name="limitTrain"/>/<paramref name="limitTest"/> records when those are positive.</summary>
    public static MnistDataset Load(string folder, int limitTrain = 0, int limitTest = 0) => Load(folder, IdxDatasets.Mnist, limitTrain, limitTest);

    /// <summary>
    /// The four files of <paramref name="set"/> from <paramref name="folder"/>; with a null set, any
    /// MNIST-layout files, unchecked, with classes and normalisation taken from the training files.
    /// </summary>
    public static MnistDataset Load(string folder, IdxDataset? set, int limitTrain = 0, int limitTest = 0)
    {
        if (set is null && !Directory.Exists(folder))
            throw new DataFormatException($"{folder}: no such folder (idx: expects a folder holding {string.Join(", ", IdxDataset.FileNames)}, gz or raw)");
        string trainImages = FilePath(folder, IdxDataset.TrainImages), trainLabels = FilePath(folder, IdxDataset.TrainLabels);
        string testImages = FilePath(folder, IdxDataset.TestImages), testLabels = FilePath(folder, IdxDataset.TestLabels);
        var train = Idx.ReadImages(trainImages, set?.CheckFor(trainImages));
        var test = Idx.ReadImages(testImages, set?.CheckFor(testImages));
        if (test.Rows != train.Rows || test.Cols != train.Cols)
            throw new DataFormatException($"{testImages}: images are {test.Rows}×{test.Cols} but the training images in {trainImages} are {train.Rows}×{train.Cols}");
        int classLimit = set?.ClassNames.Count ?? 256;
        var trainLab = Idx.ReadLabels(trainLabels, set?.CheckFor(trainLabels), classLimit);
        var testLab = Idx.ReadLabels(testLabels, set?.CheckFor(testLabels), classLimit);
        IReadOnlyList<string> names = set?.ClassNames ?? ClassesOf(trainLab, trainLabels, testLab, testLabels);
        float mean, std;
        if (set?.Mean is { } m && set.Std is { } s) (mean, std) = (m, s);
        else (mean, std) = Statistics(train.Pixels, trainImages);
        return new MnistDataset(
            Split(train, trainImages, trainLab, trainLabels, limitTrain, names, mean, std),
            Split(test, testImages, testLab, testLabels, limitTest, names, mean, std));
    }

    /// <summary>&lt;name&gt;.gz in <paramref name="folder"/>, else the uncompressed &lt;name&gt; when only that is there.</summary>
    public static string FilePath(string folder, string name)
    {
        string gz = Path.Combine(folder, name + ".gz"), raw = Path.Combine(folder, name);
        return !File.Exists(gz) && File.Exists(raw) ? raw : gz;
    }

    /// <summary>One split of MNIST itself (its checks and constants) from two files.</summary>
    public static ImageSplit LoadSplit(string imagesPath, string labelsPath, int limit = 0)
    {
        var set = IdxDatasets.Mnist;
        var images = Idx.ReadImages(imagesPath, set.CheckFor(imagesPath));
        var labels = Idx.ReadLabels(labelsPath, set.CheckFor(labelsPath));
        return Split(images, imagesPath, labels, labelsPath, limit, set.ClassNames, set.Mean!.Value, set.Std!.Value);
    }

    private static ImageSplit Split(IdxImages images, string imagesPath, byte[] labels, string labelsPath, int limit, IReadOnlyList<string> classes, float mean, float std)
    {
        if (images.Count != labels.Length)
            throw new DataFormatException($"{imagesPath} holds {images.Count} images but {labelsPath} holds {labels.Length} labels");
        int n = limit > 0 ? Math.Min(limit, images.Count) : images.Count;
        return new ImageSplit(Normalise(images.Pixels.AsSpan(0, n * images.ImageSize), mean, std), labels[..n], 1, images.Rows, images.Cols, classes.Count) { ClassNames = classes };
    }

    /// <summary>"0".."K−1" for the K distinct training labels; every label of both files must be below K.</summary>
    private static string[] ClassesOf(byte[] train, string trainPath, byte[] test, string testPath)
    {
        int k = train.Distinct().Count();
        foreach (var (labels, path) in new[] { (train, trainPath), (test, testPath) })
            for (int i = 0; i < labels.Length; i++)
                if (labels[i] >= k)
                    throw new DataFormatException($"{path}: label {i} is {labels[i]}, outside 0..{k - 1} (the training labels hold {k} distinct values, so the classes must be 0..{k - 1})");
        if (k < 2) throw new DataFormatException($"{trainPath}: every label is {train[0]}; a classifier needs at least 2 classes");
        return Enumerable.Range(0, k).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Mean and standard deviation of pixels / 255 (from a histogram, exact in double).</summary>
    public static (float Mean, float Std) Statistics(ReadOnlySpan<byte> pixels, string name)
    {
        var histogram = new long[256];
        foreach (byte p in pixels) histogram[p]++;
        double n = pixels.Length, mean = 0, variance = 0;
        for (int v = 0; v < 256; v++) mean += v / 255.0 * histogram[v];
        mean /= n;
        for (int v = 0; v < 256; v++) variance += (v / 255.0 - mean) * (v / 255.0 - mean) * histogram[v];
        double std = Math.Sqrt(variance / n);
        if (!(std > 0)) throw new DataFormatException($"{name}: every pixel is {Math.Round(mean * 255)}; images without contrast cannot be normalised");
        return ((float)mean, (float)std);
    }

    /// <summary>(p/255 − mean)/std for every byte, through a 256-entry table.</summary>
    public static float[] Normalise(ReadOnlySpan<byte> pixels, float mean, float std)
    {
        Span<float> table = stackalloc float[256];
        for (int v = 0; v < 256; v++) table[v] = (float)((v / 255.0 - mean) / std);
        var result = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++) result[i] = table[pixels[i]];
        return result;
    }
}
