// What a run produced: one EpochMetrics per epoch and, when α learned, its final values.
// Accuracies are fractions in 0..1; readers of foreign metrics files convert percentages (see
// RunFolder). Reports print them as percent, differences as "points".
using System.Text.Json.Serialization;

namespace Activations.Training.Run;

/// <summary>What a finished run produced: its epochs in order, and the learned α values if α learned.</summary>
public sealed record RunResult
{
    public required IReadOnlyList<EpochMetrics> Epochs { get; init; }

    /// <summary>The α values at the end of training (one per layer or channel), when α was learnable.</summary>
    public IReadOnlyList<double>? FinalAlphas { get; init; }

    [JsonIgnore] public EpochMetrics Final => Epochs[^1];
    [JsonIgnore] public double FinalTestAccuracy => Final.TestAccuracy;
    /// <summary>
    /// The epoch of the highest validation accuracy (the earlier on ties), the only epoch a run may be
    /// selected at; null without --val. No epoch is ever selected on the test set.
    /// </summary>
    [JsonIgnore]
    public int? BestValEpoch
    {
        get
        {
            EpochMetrics? best = null;
            foreach (var e in Epochs)
                if (e.ValAccuracy is double v && !double.IsNaN(v) && (best is null || v > best.ValAccuracy)) best = e;
            return best?.Epoch;
        }
    }

    /// <summary>Test accuracy at <see cref="BestValEpoch"/>; NaN without --val.</summary>
    [JsonIgnore] public double TestAccuracyAtBestVal => BestValEpoch is int b ? Epochs.First(e => e.Epoch == b).TestAccuracy : double.NaN;
    [JsonIgnore] public double FinalTrainLoss => Final.TrainLoss;

    /// <summary>Mean wall-clock seconds per epoch (NaN where no epoch recorded its time).</summary>
    [JsonIgnore]
    public double SecondsPerEpoch
    {
        get
        {
            var s = Epochs.Select(e => e.Seconds).Where(double.IsFinite).ToArray();
            return s.Length == 0 ? double.NaN : s.Average();
        }
    }
}
