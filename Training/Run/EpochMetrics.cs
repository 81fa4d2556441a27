using System.Text.Json.Serialization;

namespace Activations.Training.Run;

/// <summary>
/// One epoch's row of metrics.csv/json. Accuracies are fractions in 0..1; missing values are NaN.
/// ValLoss/ValAccuracy are on the --val images held out of training, null (absent) without --val.
/// </summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TestLoss, double TestAccuracy,
    double Seconds, double ImagesPerSec, double Lr,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? ValLoss = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? ValAccuracy = null);
