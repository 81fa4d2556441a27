// MNIST in memory: train and test images normalised once with the usual constants
// (x/255 − 0.1307) / 0.3081 into float arrays (N, 1, 28, 28), with their labels.
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
}

public sealed class MnistDataset
{
    public const float Mean = 0.1307f, Std = 0.3081f;

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
        return new ImageSplit(Normalise(images.Pixels.AsSpan(0, n * images.ImageSize)), labels[..n], 1, images.Rows, images.Cols, 10);
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
