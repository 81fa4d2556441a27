// --val N: N training images held out for model selection. The choice depends only on the run seed
// and the size of the training set, so every activation, α and model of one seed holds out the same
// images, and the held-out images are never trained on (nor augmented: CIFAR-10 splits before).
using Activations.Engine;
using Activations.Training.Cli;

namespace Activations.Training.Data;

public static class ValidationSplit
{
    /// <summary>Mixed into the seed so that the hold-out draw is not epoch 0's shuffle (EpochBatcher permutes with seed + epoch).</summary>
    private const ulong Salt = 0x76616c5f73706c74; // "val_splt"

    /// <summary>
    /// The indices kept for training and those held out, each ascending; a UsageException naming
    /// --val unless 0 ≤ <paramref name="val"/> &lt; <paramref name="count"/>.
    /// </summary>
    public static (int[] Train, int[] Validation) Indices(int count, int val, ulong seed)
    {
        Check(val, count);
        var order = CounterRng.Permutation(CounterRng.Hash(seed, Salt), count);
        var held = order[..val];
        var kept = order[val..];
        Array.Sort(held);
        Array.Sort(kept);
        return (kept, held);
    }

    /// <summary>Throws a UsageException unless <paramref name="val"/> leaves at least one of <paramref name="count"/> training images.</summary>
    public static void Check(int val, int count)
    {
        if (val < 0) throw new UsageException($"--val must be ≥ 0; got {val}");
        if (val > 0 && val >= count)
            throw new UsageException($"--val {val} holds out all {count} training images; it must be smaller than the training set");
    }

    /// <summary>The training split without the held-out images, and the held-out images (null when <paramref name="val"/> is 0).</summary>
    public static (ImageSplit Train, ImageSplit? Validation) Apply(ImageSplit train, int val, ulong seed)
    {
        if (val == 0) return (train, null);
        var (kept, held) = Indices(train.Count, val, seed);
        return (train.Subset(kept), train.Subset(held));
    }
}
