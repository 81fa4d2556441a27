// Turns CIFAR-10 bytes into normalised float batches (B, 3, 32, 32) ready for upload, with the standard
// training augmentation: pad each side by 4 pixels with zeros (black, before normalisation — as
// torchvision's RandomCrop(32, padding=4) does), crop a random 32×32 window, and flip it left–right
// with probability 1/2.
//
// Randomness is a pure function of (seed, epoch, image index) through CounterRng: the same seed and
// epoch give the same crops and flips whatever the batch order or thread count, and each epoch draws
// anew. The epoch stream is Hash(seed, 2·epoch) (augmentation) and Hash(seed, 2·epoch + 1) (order), so
// seed s epoch e+1 never repeats seed s+1 epoch e, as a plain seed + epoch would.
//
// Speed: one 256-entry lookup table per channel folds the /255, the mean and the std into one load;
// the copy is plain loops over spans.
using Activations.Engine;

namespace Activations.Training.Data;

public sealed class Cifar10Augmentation
{
    const int W = Cifar10Split.Width, H = Cifar10Split.Height, Plane = Cifar10Split.PlaneBytes;

    readonly float[][] _lut; // [channel][byte] → normalised value

    /// <param name="mean">Per-channel mean in [0, 1] units (R, G, B).</param>
    /// <param name="std">Per-channel standard deviation in [0, 1] units.</param>
    /// <param name="padding">Zero padding on each side before the random crop (0: no crop).</param>
    /// <param name="flip">Random horizontal flips.</param>
    public Cifar10Augmentation(IReadOnlyList<float> mean, IReadOnlyList<float> std, int padding = 4, bool flip = true)
    {
        if (mean.Count != Cifar10Split.Channels || std.Count != Cifar10Split.Channels) throw new ArgumentException("mean and std need 3 values (R, G, B)");
        if (std.Any(s => !(s > 0))) throw new ArgumentException("std must be positive");
        if (padding is < 0 or > W) throw new ArgumentOutOfRangeException(nameof(padding));
        Padding = padding;
        Flip = flip;
        _lut = new float[Cifar10Split.Channels][];
        for (int c = 0; c < Cifar10Split.Channels; c++)
        {
            _lut[c] = new float[256];
            for (int v = 0; v < 256; v++) _lut[c][v] = (float)((v / 255.0 - mean[c]) / std[c]);
        }
    }

    public int Padding { get; }

    public bool Flip { get; }

    /// <summary>The crop offset (0..2·padding in x and y, into the padded image) and flip of one image in one epoch.</summary>
    public (int OffsetX, int OffsetY, bool Flip) Draw(ulong seed, int epoch, int index)
    {
        ulong h = CounterRng.Hash(CounterRng.Hash(seed, 2UL * (ulong)epoch), (ulong)index);
        int span = 2 * Padding + 1;
        return ((int)(h % (ulong)span), (int)((h >> 24) % (ulong)span), Flip && (h >> 63) != 0);
    }

    /// <summary>A seeded order of the n training images for one epoch.</summary>
    public static int[] EpochOrder(ulong seed, int epoch, int n) => CounterRng.Permutation(CounterRng.Hash(seed, 2UL * (ulong)epoch + 1), n);

    /// <summary>
    /// Writes images <paramref name="indices"/> of <paramref name="split"/> as normalised floats
    /// (B, 3, 32, 32) to <paramref name="destination"/>, augmented when <paramref name="augment"/>
    /// (otherwise only normalised: for evaluation).
    /// </summary>
    public void Fill(Cifar10Split split, ReadOnlySpan<int> indices, Span<float> destination, ulong seed, int epoch, bool augment)
    {
        if (destination.Length < indices.Length * Cifar10Split.ImageBytes)
            throw new ArgumentException($"destination holds {destination.Length} floats, need {indices.Length * Cifar10Split.ImageBytes}");
        for (int k = 0; k < indices.Length; k++)
        {
            int index = indices[k];
            var (ox, oy, flip) = augment ? Draw(seed, epoch, index) : (Padding, Padding, false);
            Apply(split.Image(index), destination.Slice(k * Cifar10Split.ImageBytes, Cifar10Split.ImageBytes), ox, oy, flip);
        }
    }

    /// <summary>
    /// One image (3, 32, 32) → normalised floats: out[c, y, x] = padded[c, y + offsetY, x' + offsetX] with
    /// x' = flip ? 31 − x : x, where padded is the image with <see cref="Padding"/> zero pixels each side.
    /// </summary>
    public void Apply(ReadOnlySpan<byte> image, Span<float> output, int offsetX, int offsetY, bool flip)
    {
        if ((uint)offsetX > 2 * Padding || (uint)offsetY > 2 * Padding) throw new ArgumentOutOfRangeException(nameof(offsetX), "offsets lie in 0..2·padding");
        // dx, dy shift into the unpadded image; anything outside it is the zero pixel.
        int dx = offsetX - Padding, dy = offsetY - Padding;
        for (int c = 0; c < Cifar10Split.Channels; c++)
        {
            var lut = _lut[c];
            float zero = lut[0];
            var src = image.Slice(c * Plane, Plane);
            var dst = output.Slice(c * Plane, Plane);
            for (int y = 0; y < H; y++)
            {
                var row = dst.Slice(y * W, W);
                int sy = y + dy;
                if ((uint)sy >= H)
                {
                    row.Fill(zero);
                    continue;
                }
                var srcRow = src.Slice(sy * W, W);
                // Columns x whose source column lies inside the image: sx = x + dx (or 31 − x + dx when flipped).
                int lo = Math.Max(0, flip ? dx : -dx), hi = Math.Min(W, flip ? W + dx : W - dx);
                row[..lo].Fill(zero);
                row[hi..].Fill(zero);
                if (flip)
                    for (int x = lo; x < hi; x++) row[x] = lut[srcRow[W - 1 - x + dx]];
                else
                    for (int x = lo; x < hi; x++) row[x] = lut[srcRow[x + dx]];
            }
        }
    }
}
