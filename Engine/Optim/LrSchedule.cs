// Learning-rate schedules: pure functions of the step (counted from 0), as small records so that a
// run's configuration prints itself. Set optimizer.LearningRate = (float)schedule.At(step) before
// each Step().
//
//   Constant     lr
//   StepDecay    lr·γ^⌊step / stepSize⌋                                        (PyTorch StepLR)
//   Cosine       min + (lr − min)·(1 + cos(π·t/T))/2,  t = min(step, T)       (CosineAnnealingLR, closed form)
//   OneCycle     warm-up from max/div to max over the first pctStart of the steps, then anneal to
//                max/(div·finalDiv); cosine or linear                          (PyTorch OneCycleLR, two phases;
//                steps past the end keep the final rate where PyTorch raises)
namespace Activations.Engine.Optim;

public abstract record LrSchedule
{
    /// <summary>The learning rate at <paramref name="step"/> (0 for the first optimizer step).</summary>
    public abstract double At(long step);

    protected static void CheckStep(long step) => ArgumentOutOfRangeException.ThrowIfNegative(step);
}

public sealed record ConstantLr(double LearningRate) : LrSchedule
{
    public override double At(long step)
    {
        CheckStep(step);
        return LearningRate;
    }
}

public sealed record StepDecayLr(double LearningRate, int StepSize, double Gamma = 0.1) : LrSchedule
{
    public override double At(long step)
    {
        CheckStep(step);
        if (StepSize <= 0) throw new ArgumentOutOfRangeException(nameof(StepSize), $"step size must be > 0; got {StepSize}");
        return LearningRate * Math.Pow(Gamma, step / StepSize);
    }
}

public sealed record CosineLr(double LearningRate, long TotalSteps, double MinLearningRate = 0) : LrSchedule
{
    public override double At(long step)
    {
        CheckStep(step);
        if (TotalSteps <= 0) throw new ArgumentOutOfRangeException(nameof(TotalSteps), $"total steps must be > 0; got {TotalSteps}");
        double t = Math.Min(step, TotalSteps);
        return MinLearningRate + (LearningRate - MinLearningRate) * (1 + Math.Cos(Math.PI * t / TotalSteps)) / 2;
    }
}

public sealed record OneCycleLr(double MaxLearningRate, long TotalSteps, double PctStart = 0.3, double DivFactor = 25,
    double FinalDivFactor = 1e4, bool CosineAnneal = true) : LrSchedule
{
    public double InitialLearningRate => MaxLearningRate / DivFactor;
    public double MinLearningRate => InitialLearningRate / FinalDivFactor;

    public override double At(long step)
    {
        CheckStep(step);
        if (TotalSteps <= 1) throw new ArgumentOutOfRangeException(nameof(TotalSteps), $"one-cycle needs more than 1 step; got {TotalSteps}");
        if (!(PctStart > 0 && PctStart < 1)) throw new ArgumentOutOfRangeException(nameof(PctStart), $"pct_start must be in (0, 1); got {PctStart}");
        // PyTorch's phase ends (inclusive): warm-up ends at pctStart·T − 1, the annealing at T − 1,
        // and the second phase is measured from the first one's end.
        // Steps past the end stay at the final rate (PyTorch raises instead).
        double warmEnd = PctStart * TotalSteps - 1, end = TotalSteps - 1;
        double s = Math.Min(step, end);
        return s <= warmEnd
            ? Anneal(InitialLearningRate, MaxLearningRate, warmEnd > 0 ? s / warmEnd : 1)
            : Anneal(MaxLearningRate, MinLearningRate, (s - warmEnd) / (end - warmEnd));
    }

    private double Anneal(double from, double to, double pct) => CosineAnneal
        ? to + (from - to) / 2 * (Math.Cos(Math.PI * pct) + 1)
        : (to - from) * pct + from;
}
