// Learning-rate schedules against values computed by hand (or with a calculator from the formulas
// of PyTorch's StepLR, CosineAnnealingLR and OneCycleLR).
using Activations.Engine.Optim;

namespace Activations.Tests.Optim;

public class LrScheduleTests
{
    [Fact]
    public void Constant() => Assert.Equal(0.3, new ConstantLr(0.3).At(12345));

    [Fact]
    public void StepDecay()
    {
        var s = new StepDecayLr(1.0, StepSize: 3, Gamma: 0.5);
        Assert.Equal([1, 1, 1, 0.5, 0.5, 0.5, 0.25], Enumerable.Range(0, 7).Select(i => s.At(i)));
    }

    [Fact]
    public void Cosine()
    {
        var s = new CosineLr(0.1, TotalSteps: 10, MinLearningRate: 0.01);
        Assert.Equal(0.1, s.At(0), 12);
        Assert.Equal(0.055, s.At(5), 12);                   // halfway: the mean of max and min
        Assert.Equal(0.08145033635316129, s.At(3), 12);     // 0.01 + 0.09·(1 + cos(0.3π))/2
        Assert.Equal(0.01, s.At(10), 12);
        Assert.Equal(0.01, s.At(15), 12);                   // stays at the minimum
    }

    [Fact]
    public void OneCycleCosine()
    {
        // max 0.1 over 10 steps: starts at 0.1/25 = 0.004, peaks at step 0.3·10 − 1 = 2, ends at 0.004/1e4.
        var s = new OneCycleLr(0.1, TotalSteps: 10);
        Assert.Equal(0.004, s.At(0), 12);
        Assert.Equal(0.052, s.At(1), 12);                   // halfway up: (0.004 + 0.1)/2
        Assert.Equal(0.1, s.At(2), 12);
        Assert.Equal(0.06112620219362893, s.At(5), 12);     // 3/7 of the way down the cosine
        Assert.Equal(4e-7, s.At(9), 15);
        Assert.Equal(4e-7, s.At(20), 15);                   // past the end: the final rate
    }

    [Fact]
    public void OneCycleLinear()
    {
        var s = new OneCycleLr(0.1, TotalSteps: 10, CosineAnneal: false);
        Assert.Equal(0.052, s.At(1), 12);
        Assert.Equal(0.05714302857142858, s.At(5), 12);     // 0.1 + (4e-7 − 0.1)·3/7
    }

    [Fact]
    public void RejectsNegativeSteps() => Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantLr(1).At(-1));
}
