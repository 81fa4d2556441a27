// One split of CIFAR-10 (train or test) in memory as bytes: the images as (N, 3, 32, 32) — channel
// planes R, G, B, rows top to bottom — and one label 0..9 per image. This is the layout of the official
// binary release and of the float batches uploaded to the device, so nothing is ever transposed.
namespace Activations.Training.Data;

public sealed class Cifar10Split
{
    public const int Channels = 3, Height = 32, Width = 32;
    public const int PlaneBytes = Height * Width;       // 1024
    public const int ImageBytes = Channels * PlaneBytes; // 3072
    public const int ClassCount = 10;

    /// <summary>Wraps the arrays (no copy). Checks that the lengths agree and every label is 0..9.</summary>
    public Cifar10Split(byte[] images, byte[] labels)
    {
        if (images.Length != (long)labels.Length * ImageBytes)
            throw new ArgumentException($"{images.Length} image bytes do not hold {labels.Length} images of {ImageBytes} bytes");
        int bad = labels.AsSpan().IndexOfAnyInRange((byte)ClassCount, byte.MaxValue);
        if (bad >= 0) throw new ArgumentException($"label {labels[bad]} of image {bad} is outside 0..{ClassCount - 1}");
        Images = images;
        Labels = labels;
    }

    public int Count => Labels.Length;

    /// <summary>(N, 3, 32, 32) uint8.</summary>
    public byte[] Images { get; }

    /// <summary>(N) class indices 0..9.</summary>
    public byte[] Labels { get; }

    /// <summary>Image i as (3, 32, 32).</summary>
    public ReadOnlySpan<byte> Image(int i) => Images.AsSpan(i * ImageBytes, ImageBytes);

    /// <summary>Images per class, indexed by label.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (byte l in Labels) counts[l]++;
        return counts;
    }
}
