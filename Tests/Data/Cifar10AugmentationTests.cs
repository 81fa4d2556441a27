// Cifar10Augmentation: every crop offset and flip against a naive pad-crop-flip reference on a
// hand-made image, exact normalisation, determinism per (seed, epoch), the spread of the draws, and the
// throughput of a full-size batch fill (printed).
using System.Diagnostics;
using Activations.Training.Data;
using Xunit.Abstractions;

namespace Activations.Tests.Data;

public sealed class Cifar10AugmentationTests(ITestOutputHelper output)
{
    // Image i: pixel (c, y, x) = (i * 17 + c * 80 + y * 5 + x * 3) % 256, never 0 inside the image.
    static Cifar10Split Synthetic(int n)
    {
        var images = new byte[n * Cifar10Split.ImageBytes];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        images[i * 3072 + c * 1024 + y * 32 + x] = (byte)Math.Max(1, (i * 17 + c * 80 + y * 5 + x * 3) % 256);
        return new Cifar10Split(images, Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray());
    }

    // Mean 0 and std 1 make the output v / 255: easy to read back.
    static Cifar10Augmentation Identity(int padding = 4) => new([0, 0, 0], [1, 1, 1], padding);

    [Fact]
    public void EveryCropAndFlipMatchesNaiveReference()
    {
        var image = Synthetic(1).Image(0).ToArray();
        var aug = Identity();
        var got = new float[3072];
        for (int oy = 0; oy <= 8; oy++)
            for (int ox = 0; ox <= 8; ox++)
                foreach (bool flip in new[] { false, true })
                {
                    aug.Apply(image, got, ox, oy, flip);
                    for (int c = 0; c < 3; c++)
                        for (int y = 0; y < 32; y++)
                            for (int x = 0; x < 32; x++)
                            {
                                // Pad to 40×40, crop at (oy, ox), flip the crop.
                                int px = (flip ? 31 - x : x) + ox, py = y + oy;
                                int sx = px - 4, sy = py - 4;
                                byte v = sx is >= 0 and < 32 && sy is >= 0 and < 32 ? image[c * 1024 + sy * 32 + sx] : (byte)0;
                                Assert.Equal(v / 255f, got[c * 1024 + y * 32 + x], 6);
                            }
                }
    }

    [Fact]
    public void TinyHandMadeCases()
    {
        // A single bright pixel at (y=0, x=0) of every channel.
        var image = new byte[3072];
        image[0] = image[1024] = image[2048] = 255;
        var aug = Identity();
        var got = new float[3072];

        aug.Apply(image, got, 4, 4, flip: false); // centre crop: unchanged
        Assert.Equal(1f, got[0]);
        Assert.Equal(1f, got.Sum() / 3);

        aug.Apply(image, got, 4, 4, flip: true); // mirrored: x = 31
        Assert.Equal(1f, got[31]);
        Assert.Equal(0f, got[0]);

        aug.Apply(image, got, 0, 0, flip: false); // window moved up-left: image shifts right and down by 4
        Assert.Equal(1f, got[4 * 32 + 4]);
        Assert.Equal(1f, got[1024 + 4 * 32 + 4]);
        Assert.Equal(3f, got.Sum());

        aug.Apply(image, got, 8, 8, flip: false); // moved down-right: the pixel leaves the window
        Assert.Equal(0f, got.Sum());
    }

    [Fact]
    public void NormalisesWithLookupExactly()
    {
        var split = Synthetic(3);
        float[] mean = [0.4914f, 0.4822f, 0.4465f], std = [0.2470f, 0.2435f, 0.2616f];
        var aug = new Cifar10Augmentation(mean, std);
        var got = new float[3 * 3072];
        aug.Fill(split, [2, 0, 1], got, seed: 1, epoch: 0, augment: false);
        int[] order = [2, 0, 1];
        for (int k = 0; k < 3; k++)
            for (int p = 0; p < 3072; p++)
            {
                int c = p / 1024;
                float expected = (float)((split.Image(order[k])[p] / 255.0 - mean[c]) / std[c]);
                Assert.Equal(expected, got[k * 3072 + p]);
            }
        // Padding is black before normalisation, as torchvision pads.
        aug.Apply(split.Image(0), got, 0, 0, false);
        Assert.Equal((float)((0 - mean[1]) / std[1]), got[1024]);
    }

    [Fact]
    public void SameSeedSameOutputOtherSeedOrEpochDiffers()
    {
        var split = Synthetic(64);
        var aug = Identity();
        int[] idx = Enumerable.Range(0, 64).ToArray();
        float[] Run(ulong seed, int epoch)
        {
            var a = new float[64 * 3072];
            aug.Fill(split, idx, a, seed, epoch, augment: true);
            return a;
        }
        Assert.Equal(Run(7, 3), Run(7, 3));
        Assert.NotEqual(Run(7, 3), Run(8, 3));
        Assert.NotEqual(Run(7, 3), Run(7, 4));
        // An image's augmentation does not depend on its place in the batch.
        var one = new float[3072];
        aug.Fill(split, [10], one, 7, 3, augment: true);
        Assert.Equal(one, Run(7, 3).AsSpan(10 * 3072, 3072).ToArray());
    }

    [Fact]
    public void DrawsCoverOffsetsAndFlipHalfTheTime()
    {
        var aug = Identity();
        var xs = new int[9];
        var ys = new int[9];
        int flips = 0, n = 20000;
        for (int i = 0; i < n; i++)
        {
            var (ox, oy, flip) = aug.Draw(42, 5, i);
            xs[ox]++;
            ys[oy]++;
            flips += flip ? 1 : 0;
        }
        Assert.All(xs, c => Assert.InRange(c, n / 9 * 0.9, n / 9 * 1.1));
        Assert.All(ys, c => Assert.InRange(c, n / 9 * 0.9, n / 9 * 1.1));
        Assert.InRange(flips, n * 0.47, n * 0.53);
        Assert.Equal(Enumerable.Range(0, 1000), Cifar10Augmentation.EpochOrder(1, 2, 1000).Order());
        Assert.NotEqual(Cifar10Augmentation.EpochOrder(1, 2, 1000), Cifar10Augmentation.EpochOrder(1, 3, 1000));
    }

    [Fact]
    public void Throughput()
    {
        var split = Synthetic(2048);
        var aug = new Cifar10Augmentation(Cifar10Dataset.StandardMean, Cifar10Dataset.StandardStd);
        var batch = new float[256 * 3072];
        var order = Cifar10Augmentation.EpochOrder(3, 0, split.Count);
        aug.Fill(split, order.AsSpan(0, 256), batch, 3, 0, augment: true); // warm-up
        var clock = Stopwatch.StartNew();
        int images = 0;
        for (int epoch = 0; epoch < 5; epoch++)
            for (int b = 0; b + 256 <= split.Count; b += 256, images += 256)
                aug.Fill(split, order.AsSpan(b, 256), batch, 3, epoch, augment: true);
        double rate = images / clock.Elapsed.TotalSeconds;
        output.WriteLine($"augmented {images} images in {clock.Elapsed.TotalMilliseconds:F0} ms: {rate:F0} images/s ({rate * 3072 * 4 / 1e9:F2} GB/s written)");
        Assert.True(rate > 1_000, $"augmentation too slow: {rate:F0} images/s");
    }
}
