namespace Activations.Training.Checkpoints;

/// <summary>Where training continues, as a checkpoint records it: epochs completed, then steps already done in the next one.</summary>
/// <param name="LossSum">Σ batch loss × batch size over those steps (the epoch's loss so far).</param>
/// <param name="Seconds">Training seconds already spent on those steps.</param>
public readonly record struct ResumePoint(int Epoch, int StepInEpoch = 0, float LossSum = 0, double Seconds = 0)
{
    public static ResumePoint Start => new(0);
}
