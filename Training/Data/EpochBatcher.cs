// Batches for one epoch with one host→device copy per tensor per epoch.
//
// Each epoch the split is permuted on the host (CounterRng.Permutation(seed + epoch): the same
// order on every accelerator and on resume), gathered into one contiguous array and uploaded in one
// copy, with its labels (int32 class indices) in another. Batch b is then a view of rows
// [b·B, b·B + B) of those buffers (Tensor.Slice, IntBuffer.Slice): no copy, no kernel. The device
// buffers are allocated once and overwritten each epoch. An unshuffled split (the test set) is
// uploaded once.
using Activations.Engine;
using ILGPU.Runtime;
using Device = Activations.Engine.Device;

namespace Activations.Training.Data;

/// <summary>A batch: images (B, C, H, W) and labels (B); both views of the epoch's upload.</summary>
public sealed record Batch(Tensor Images, IntBuffer Labels, int Start, int Count) : IDisposable
{
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

public sealed class EpochBatcher : IDisposable
{
    private readonly ImageSplit _split;
    private readonly ulong _seed;
    private readonly bool _shuffle;
    private readonly Tensor _images;
    private readonly IntBuffer _labels;
    private readonly float[] _hostImages;
    private readonly int[] _hostLabels;
    private readonly IEpochFill? _fill;
    private int _uploadedEpoch = -1;

    public int BatchSize { get; }
    public int Count => _split.Count;
    public int BatchesPerEpoch => (Count + BatchSize - 1) / BatchSize;

    /// <summary>Host→device copies made so far (two per upload: images and labels).</summary>
    public int Uploads { get; private set; }

    /// <summary>The labels of the uploaded epoch in batch order (host copy).</summary>
    public ReadOnlySpan<int> EpochLabels => _hostLabels;

    /// <param name="fill">Fills a shuffled epoch's images instead of copying them (augmentation), or null.</param>
    public EpochBatcher(Device device, ImageSplit split, int batchSize, ulong seed, bool shuffle, IEpochFill? fill = null)
    {
        _fill = shuffle ? fill : null;
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size must be positive; got {batchSize}");
        _split = split;
        _seed = seed;
        _shuffle = shuffle;
        BatchSize = batchSize;
        int n = split.Count;
        _hostImages = shuffle ? new float[split.Images.Length] : split.Images;
        _hostLabels = new int[n];
        _images = Tensor.Empty(device, n, split.Channels, split.Height, split.Width);
        _images.KeepAlive = true;
        _images.Name = "epoch images";
        _labels = new IntBuffer(device, n);
    }

    /// <summary>The order of epoch <paramref name="epoch"/> (0-based): a seeded permutation, or 0..N−1 without shuffling.</summary>
    public int[] Order(int epoch) =>
        _shuffle ? CounterRng.Permutation(_seed + (ulong)epoch, Count) : Enumerable.Range(0, Count).ToArray();

    /// <summary>
    /// Uploads epoch <paramref name="epoch"/> (0-based; unless already there) and yields its batches
    /// as views, from batch <paramref name="firstBatch"/> on (a run resumed in mid-epoch skips the
    /// batches it already trained on; the order is the same seeded permutation).
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch, int firstBatch = 0)
    {
        if (firstBatch < 0 || firstBatch > BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(firstBatch), $"batch {firstBatch} is outside an epoch of {BatchesPerEpoch} batches");
        Upload(epoch);
        for (int start = firstBatch * BatchSize; start < Count; start += BatchSize)
        {
            int count = Math.Min(BatchSize, Count - start);
            yield return new Batch(_images.Slice(start, count), _labels.Slice(start, count), start, count);
        }
    }

    private void Upload(int epoch)
    {
        int key = _shuffle ? epoch : 0;
        if (_uploadedEpoch == key) return;
        var order = Order(epoch);
        int size = _split.ImageSize;
        for (int i = 0; i < order.Length; i++)
        {
            int src = order[i];
            if (_shuffle && _fill is null) Array.Copy(_split.Images, (long)src * size, _hostImages, (long)i * size, size);
            _hostLabels[i] = _split.Labels[src];
        }
        _fill?.Fill(epoch, order, _hostImages);
        if (Count > 0)
        {
            _images.View.CopyFromCPU(_hostImages);
            _labels.View.CopyFromCPU(_hostLabels);
            Uploads += 2;
        }
        _uploadedEpoch = key;
    }

    public void Dispose()
    {
        _images.Dispose();
        _labels.Dispose();
    }
}
