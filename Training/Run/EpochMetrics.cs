namespace Activations.Training.Run;

/// <summary>One epoch's row of metrics.csv/json. TestAccuracy is a fraction in 0..1; missing values are NaN.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TestLoss, double TestAccuracy,
    double Seconds, double ImagesPerSec, double Lr);
