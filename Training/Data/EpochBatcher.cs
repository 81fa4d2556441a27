// Batches for one epoch with one host→device copy per tensor per epoch.
//
// Each epoch the split is permuted on the host (CounterRng.Permutation(seed + epoch): the same
// order on every accelerator and on resume), gathered into one contiguous array and uploaded in one
// copy, with its labels (class indices as floats, and one-hot rows). Batch b is then a view of rows
// [b·B, b·B + B) of those tensors (Tensor.Slice): no copy, no kernel. The device tensors are
// allocated once and overwritten each epoch. An unshuffled split (the test set) is uploaded once.
using Activations.Engine;
using ILGPU.Runtime;
using Device = Activations.Engine.Device;

namespace Activations.Training.Data;

/// <summary>A batch: images (B, C, H, W), labels (B) as floats, one-hot labels (B, classes); views.</summary>
public sealed record Batch(Tensor Images, Tensor Labels, Tensor OneHot, int Start, int Count);

public sealed class EpochBatcher : IDisposable
{
    private readonly Device _device;
    private readonly ImageSplit _split;
    private readonly ulong _seed;
    private readonly bool _shuffle;
    private readonly Tensor _images, _labels, _oneHot;
    private readonly float[] _hostImages, _hostLabels, _hostOneHot;
    private int _uploadedEpoch = -1;

    public int BatchSize { get; }
    public int Count => _split.Count;
    public int BatchesPerEpoch => (Count + BatchSize - 1) / BatchSize;

    /// <summary>Host→device copies made so far (three per upload).</summary>
    public int Uploads { get; private set; }

    /// <summary>The labels of the current epoch in batch order (host copy).</summary>
    public ReadOnlySpan<float> EpochLabels => _hostLabels;

    public EpochBatcher(Device device, ImageSplit split, int batchSize, ulong seed, bool shuffle)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size must be positive; got {batchSize}");
        _device = device;
        _split = split;
        _seed = seed;
        _shuffle = shuffle;
        BatchSize = batchSize;
        int n = split.Count;
        _hostImages = shuffle ? new float[split.Images.Length] : split.Images;
        _hostLabels = new float[n];
        _hostOneHot = new float[n * split.Classes];
        _images = Keep(Tensor.Empty(device, n, split.Channels, split.Height, split.Width), "epoch images");
        _labels = Keep(Tensor.Empty(device, n), "epoch labels");
        _oneHot = Keep(Tensor.Empty(device, n, split.Classes), "epoch one-hot labels");
    }

    private static Tensor Keep(Tensor t, string name)
    {
        t.KeepAlive = true;
        t.Name = name;
        return t;
    }

    /// <summary>The order of epoch <paramref name="epoch"/>: a seeded permutation, or 0..N−1 without shuffling.</summary>
    public int[] Order(int epoch)
    {
        if (!_shuffle) return Enumerable.Range(0, Count).ToArray();
        return CounterRng.Permutation(_seed + (ulong)epoch, Count);
    }

    /// <summary>Uploads epoch <paramref name="epoch"/> (unless already there) and yields its batches as views.</summary>
    public IEnumerable<Batch> Epoch(int epoch)
    {
        Upload(epoch);
        for (int start = 0; start < Count; start += BatchSize)
        {
            int count = Math.Min(BatchSize, Count - start);
            yield return new Batch(_images.Slice(start, count), _labels.Slice(start, count), _oneHot.Slice(start, count), start, count);
        }
    }

    private void Upload(int epoch)
    {
        int key = _shuffle ? epoch : 0;
        if (_uploadedEpoch == key) return;
        var order = Order(epoch);
        int size = _split.ImageSize, classes = _split.Classes;
        Array.Clear(_hostOneHot);
        for (int i = 0; i < order.Length; i++)
        {
            int src = order[i];
            if (_shuffle) Array.Copy(_split.Images, (long)src * size, _hostImages, (long)i * size, size);
            int label = _split.Labels[src];
            _hostLabels[i] = label;
            _hostOneHot[i * classes + label] = 1f;
        }
        if (Count > 0)
        {
            _images.View.CopyFromCPU(_hostImages);
            _labels.View.CopyFromCPU(_hostLabels);
            _oneHot.View.CopyFromCPU(_hostOneHot);
            Uploads += 3;
        }
        _uploadedEpoch = key;
    }

    public void Dispose()
    {
        _images.Dispose();
        _labels.Dispose();
        _oneHot.Dispose();
    }
}
