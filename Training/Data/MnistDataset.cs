// MNIST in memory: train and test images normalised once with the usual constants
// (x/255 − 0.1307) / 0.3081 into float arrays (N, 1, 28, 28), with their labels.
namespace Activations.Training.Data;

/// <summary>One split: <see cref="Count"/> images of Channels×Height×Width floats and their labels.</summary>
public sealed class ImageSplit
{
    public float[] Images { get; }
    public byte[] Labels { get; }
    public int Count => Labels.Length;
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int ImageSize => Channels * Height * Width;
    public int Classes { get; }

    /// <summary>The class names by label ("0".."9", "airplane"…), or null when the data set has none.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    public ImageSplit(float[] images, byte[] labels, int channels, int height, int width, int classes)
    {
        if (images.Length != (long)labels.Length * channels * height * width)
            throw new ArgumentException($"{images.Length} pixels do not make {labels.Length} images of {channels}×{height}×{width}");
        Images = images;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        Classes = classes;
    }

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
    public const float Mean = 0.1307f, Std = 0.3081f;

    public static readonly IReadOnlyList<string> ClassNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    public ImageSplit Train { get; }
    public ImageSplit Test { get; }

    public MnistDataset(ImageSplit train, ImageSplit test)
    {
        Train = train;
        Test = test;
    }

    /// <summary>
    /// Loads the four files from <paramref name="folder"/>, keeping the first
    /// <paramref name="limitTrain"/>/<paramref name="limitTest"/> records when those are positive.
    /// </summary>
    public static MnistDataset Load(string folder, int limitTrain = 0, int limitTest = 0) => new(
        LoadSplit(FilePath(folder, "train-images-idx3-ubyte"), FilePath(folder, "train-labels-idx1-ubyte"), limitTrain),
        LoadSplit(FilePath(folder, "t10k-images-idx3-ubyte"), FilePath(folder, "t10k-labels-idx1-ubyte"), limitTest));

    /// <summary>&lt;name&gt;.gz in <paramref name="folder"/>, else the uncompressed &lt;name&gt; when only that is there.</summary>
    public static string FilePath(string folder, string name)
    {
        string gz = Path.Combine(folder, name + ".gz"), raw = Path.Combine(folder, name);
        return !File.Exists(gz) && File.Exists(raw) ? raw : gz;
    }

    public static ImageSplit LoadSplit(string imagesPath, string labelsPath, int limit = 0)
    {
        var images = Idx.ReadImages(imagesPath);
        var labels = Idx.ReadLabels(labelsPath);
        if (images.Count != labels.Length)
            throw new DataFormatException($"{imagesPath} holds {images.Count} images but {labelsPath} holds {labels.Length} labels");
        int n = limit > 0 ? Math.Min(limit, images.Count) : images.Count;
        return new ImageSplit(Normalise(images.Pixels.AsSpan(0, n * images.ImageSize)), labels[..n], 1, images.Rows, images.Cols, 10) { ClassNames = ClassNames };
    }

    /// <summary>(p/255 − mean)/std for every byte, through a 256-entry table.</summary>
    public static float[] Normalise(ReadOnlySpan<byte> pixels)
    {
        Span<float> table = stackalloc float[256];
        for (int v = 0; v < 256; v++) table[v] = (float)((v / 255.0 - Mean) / Std);
        var result = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++) result[i] = table[pixels[i]];
        return result;
    }
}
