// The images one run trains, selects and tests on, as `train` and `compare` load them: the data set's
// training split less the --val images held out, those held-out images, the test split, and
// CIFAR-10's augmentation hook. The split is made before augmentation, so held-out images never are.
namespace Activations.Training.Data;

public sealed record TrainingData(ImageSplit Train, ImageSplit? Validation, ImageSplit Test, IEpochFill? Fill)
{
    /// <param name="imageSize">folder: data sets only (DatasetSource.Read).</param>
    public static TrainingData Load(DatasetLocator locator, string dataset, int limitTrain, int limitTest, int val, bool augment, ulong seed,
        Action<string> log, int? imageSize = null)
    {
        if (dataset == "cifar10")
        {
            var c = Cifar10Training.Load(locator.EnsureCifar10(), Path.Combine(locator.DataRoot, "cifar10"), limitTrain, limitTest, augment, seed, log, val);
            return new TrainingData(c.Train, c.Validation, c.Test, c);
        }
        var m = DatasetSource.Read(dataset, locator, limitTrain, limitTest, imageSize, log);
        var (train, validation) = ValidationSplit.Apply(m.Train, val, seed);
        return new TrainingData(train, validation, m.Test, null);
    }
}
