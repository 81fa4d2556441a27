// The MLP's parameter names and shapes, and the initialisation schemes: bounds and standard
// deviations as specified, and per-parameter seeds that depend only on the run seed and the name.
using Activations.Engine;
using Activations.Engine.Nn;
using Activations.Tests.Infrastructure;
using Activations.Training.Models;

namespace Activations.Tests.Training;

public class ModelTests
{
    [SkippableFact]
    public void MlpHasTheStudysNamedParameters()
    {
        var d = TestDevices.Get("cpu");
        using var fixedAlpha = ModelFactory.Create(new ModelSettings { Activation = "talu" }, d, 784, 10);
        Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"], fixedAlpha.NamedParameters().Select(p => p.Name));
        Assert.Equal([128, 784], fixedAlpha.NamedParameters()[0].Tensor.Shape.ToArray());
        using var perChannel = ModelFactory.Create(new ModelSettings { Activation = "exlu", LearnableAlpha = true, AlphaPerChannel = true, Alpha = 0.5f }, d, 784, 10);
        var named = perChannel.NamedParameters().ToDictionary(p => p.Name, p => p.Tensor);
        Assert.Equal([128], named["act1.alpha"].Shape.ToArray());
        Assert.Equal([64], named["act2.alpha"].Shape.ToArray());
        Assert.All(named["act1.alpha"].ToArray(), v => Assert.Equal(0.5f, v));
        using var x = Tensor.Zeros(d, 3, 1, 28, 28);
        using var y = perChannel.Forward(x);
        Assert.Equal([3, 10], y.Shape.ToArray());
    }

    [SkippableTheory]
    [InlineData("default")]
    [InlineData("he")]
    [InlineData("xavier")]
    [InlineData("between")]
    [InlineData("he-leaky")]
    public void InitSchemesHaveTheirBoundsAndSpread(string scheme)
    {
        var d = TestDevices.Get("cpu");
        using var m = ModelFactory.Create(new ModelSettings { Init = scheme, Seed = 5 }, d, 784, 10);
        var w = m.NamedParameters()[0].Tensor.ToArray();  // fc1.weight, fan_in 784, fan_out 128
        var b = m.NamedParameters()[1].Tensor.ToArray();
        double mean = w.Average(v => (double)v), std = Math.Sqrt(w.Average(v => (v - mean) * (v - mean)));
        double bound = 1 / Math.Sqrt(784);
        Assert.All(b, v => Assert.InRange(v, -bound, bound)); // biases: PyTorch default for every scheme
        double expectedStd = scheme switch
        {
            "default" => bound / Math.Sqrt(3),
            "he" => Math.Sqrt(2.0 / 784),
            "xavier" => Math.Sqrt(6.0 / (784 + 128)) / Math.Sqrt(3),
            "between" => Math.Sqrt(1.5 / 784),
            _ => Math.Sqrt(2.0 / (1.01 * 784)),
        };
        Assert.InRange(std, 0.98 * expectedStd, 1.02 * expectedStd);
        Assert.InRange(mean, -0.02 * expectedStd * 10, 0.02 * expectedStd * 10);
        if (scheme == "default") Assert.All(w, v => Assert.InRange(v, -bound, bound));
        if (scheme == "xavier") Assert.All(w, v => Assert.InRange(v, -Math.Sqrt(6.0 / 912), Math.Sqrt(6.0 / 912)));
    }

    [SkippableFact]
    public void InitDependsOnlyOnSeedAndName()
    {
        var d = TestDevices.Get("cpu");
        using var a = ModelFactory.Create(new ModelSettings { Seed = 1 }, d, 784, 10);
        using var b = ModelFactory.Create(new ModelSettings { Seed = 1, Activation = "talu", LearnableAlpha = true }, d, 784, 10);
        using var c = ModelFactory.Create(new ModelSettings { Seed = 2 }, d, 784, 10);
        var wa = a.NamedParameters()[0].Tensor.ToArray();
        Assert.Equal(wa, b.NamedParameters()[0].Tensor.ToArray()); // adding α parameters shifts nothing
        Assert.NotEqual(wa, c.NamedParameters()[0].Tensor.ToArray());
        Assert.NotEqual(wa[..64], a.NamedParameters()[2].Tensor.ToArray()[..64]); // fc2 has its own stream
        Assert.Equal(Init.ParameterSeed(1, "fc1.weight"), Init.ParameterSeed(1, "fc1.weight"));
        Assert.NotEqual(Init.ParameterSeed(1, "fc1.weight"), Init.ParameterSeed(1, "fc1.bias"));
    }
}
