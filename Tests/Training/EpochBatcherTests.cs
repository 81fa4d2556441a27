// The batcher: one upload per epoch, batches are views in the seeded order, the last batch may be
// short, the unshuffled test split is uploaded once.
using Activations.Engine;
using Activations.Tests.Infrastructure;
using Activations.Training.Data;

namespace Activations.Tests.Training;

public class EpochBatcherTests
{
    private static ImageSplit Split(int n)
    {
        // Image i is filled with the value i; its label is i % 10.
        var images = new float[n * 4];
        for (int i = 0; i < images.Length; i++) images[i] = i / 4;
        return new ImageSplit(images, Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray(), 1, 2, 2, 10);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void BatchesAreViewsOfOneUploadInTheSeededOrder(string device)
    {
        var d = TestDevices.Get(device);
        using var b = new EpochBatcher(d, Split(23), batchSize: 5, seed: 7, shuffle: true);
        Assert.Equal(5, b.BatchesPerEpoch);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var order = CounterRng.Permutation(7UL + (ulong)epoch, 23);
            Assert.Equal(order, b.Order(epoch));
            var seen = new List<int>();
            foreach (var batch in b.Epoch(epoch))
            {
                using (batch)
                {
                    Assert.Equal(new[] { batch.Count, 1, 2, 2 }, batch.Images.Shape.ToArray());
                    var px = batch.Images.ToArray();
                    var labels = batch.Labels.ToArray();
                    for (int i = 0; i < batch.Count; i++)
                    {
                        int src = order[batch.Start + i];
                        Assert.All(px.Skip(4 * i).Take(4), v => Assert.Equal(src, v));
                        Assert.Equal(src % 10, labels[i]);
                        seen.Add(src);
                    }
                }
            }
            Assert.Equal(23, seen.Count);
            Assert.Equal(Enumerable.Range(0, 23), seen.Order());
        }
        Assert.Equal(4, b.Uploads); // images + labels, once per epoch
        Assert.NotEqual(b.Order(0), b.Order(1));
    }

    [SkippableFact]
    public void UnshuffledSplitIsUploadedOnce()
    {
        var d = TestDevices.Get("cpu");
        using var b = new EpochBatcher(d, Split(10), batchSize: 4, seed: 0, shuffle: false);
        for (int e = 0; e < 3; e++)
            foreach (var batch in b.Epoch(e)) batch.Dispose();
        Assert.Equal(2, b.Uploads);
        Assert.Equal(Enumerable.Range(0, 10), b.Order(5));
    }

    [SkippableFact]
    public void SliceIsAViewAndRefusesBadRanges()
    {
        var d = TestDevices.Get("cpu");
        using var t = Tensor.FromArray(d, Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 4, 3);
        using var s = t.Slice(1, 2);
        Assert.Equal(new float[] { 3, 4, 5, 6, 7, 8 }, s.ToArray());
        using var r = s.Reshape(3, 2);
        Assert.Equal(new float[] { 3, 4, 5, 6, 7, 8 }, r.ToArray());
        using var doubled = s * 2f;
        Assert.Equal(new float[] { 6, 8, 10, 12, 14, 16 }, doubled.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Slice(3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Slice(-1, 1));
        using var ib = IntBuffer.FromArray(d, [1, 2, 3, 4]);
        using var iv = ib.Slice(2, 2);
        Assert.Equal(new[] { 3, 4 }, iv.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => ib.Slice(3, 2));
    }
}
