// Misuse must fail early with a message that says what was wrong and with which values: shapes
// that do not fit (both named), invalid activation parameters (the value named), unknown names
// (the valid ones listed), and devices that are not there (what is available listed).
using Activations.Engine;
using Activations.Kernels;
using Activations.Tests.Infrastructure;
using Activations.Kernels.Activations;

namespace Activations.Tests.Engine;

public class BadInputTests
{
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void BroadcastMismatchNamesBothShapes(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var a = Tensor.Zeros(d, 2, 3);
        var b = Tensor.Zeros(d, 4);
        foreach (var op in new Func<Tensor, Tensor, Tensor>[] { (x, y) => x + y, (x, y) => x - y, (x, y) => x * y, (x, y) => x / y })
        {
            foreach (var (x, y) in new[] { (a, b), (b, a) })
            {
                var e = Assert.Throws<ArgumentException>(() => op(x, y));
                Assert.Contains("[2, 3]", e.Message);
                Assert.Contains("[4]", e.Message);
            }
        }
        var e2 = Assert.Throws<ArgumentException>(() => Tensor.Zeros(d, 2, 1, 4) * Tensor.Zeros(d, 3, 2));
        Assert.Contains("[2, 1, 4]", e2.Message);
        Assert.Contains("[3, 2]", e2.Message);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void BroadcastBeyondFourDimensionsNamesBothShapes(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(d, 2, 1, 1, 1, 3) + Tensor.Zeros(d, 3));
        Assert.Contains("[2, 1, 1, 1, 3]", e.Message);
        Assert.Contains("[3]", e.Message);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ShapeErrorsNameTheShapes(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var t = Tensor.Zeros(d, 2, 3);
        t.Name = "batch";
        var reshape = Assert.Throws<ArgumentException>(() => t.Reshape(4, 2));
        Assert.Contains("batch [2, 3]", reshape.Message);
        Assert.Contains("[4, 2]", reshape.Message);
        var infer = Assert.Throws<ArgumentException>(() => t.Reshape(-1, 4));
        Assert.Contains("[-1, 4]", infer.Message);
        var fill = Assert.Throws<ArgumentException>(() => Tensor.FromArray(d, [1, 2, 3], 2, 2));
        Assert.Contains("3 values", fill.Message);
        Assert.Contains("[2, 2]", fill.Message);
        var copy = Assert.Throws<ArgumentException>(() => t.CopyFrom(new float[5]));
        Assert.Contains("5 values", copy.Message);
        Assert.Contains("[2, 3]", copy.Message);
        var negative = Assert.Throws<ArgumentException>(() => Tensor.Zeros(d, 2, -3));
        Assert.Contains("[2, -3]", negative.Message);
        var item = Assert.Throws<InvalidOperationException>(() => t.Item());
        Assert.Contains("[2, 3]", item.Message);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void AxisErrorsNameAxisAndShape(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var t = Tensor.Zeros(d, 2, 3);
        foreach (var use in new Action[] { () => t.Sum(2), () => t.Mean(-3), () => t.Max(5), () => t.ArgMax(-4), () => t.Flatten(2) })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(use);
            Assert.Contains("out of range for shape [2, 3]", e.Message);
        }
        var twice = Assert.Throws<ArgumentException>(() => t.Sum([1, -1]));
        Assert.Contains("given twice", twice.Message);
        var empty = Assert.Throws<ArgumentException>(() => Tensor.Zeros(d, 2, 0).Max(1));
        Assert.Contains("empty axis", empty.Message);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void PerChannelAlphaOfTheWrongLengthNamesBoth(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Tensor.Zeros(d, 2, 3, 4, 4);
        var e = Assert.Throws<ArgumentException>(() => x.Activate(ActivationInfo.Of<TaLU>(), Tensor.Ones(d, 4), channelAxis: 1));
        Assert.Contains("α has 4 values", e.Message);
        Assert.Contains("[2, 3, 4, 4]", e.Message);
        Assert.Contains("3 channels", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Activate(ActivationInfo.Of<TaLU>(), Tensor.Ones(d, 3), channelAxis: 4));
    }

    public static TheoryData<string, float> InvalidAlphas
    {
        get
        {
            var data = new TheoryData<string, float>();
            foreach (var k in new[] { "exlu", "talu", "elu" })
                foreach (var a in new[] { 0f, -0f, -1.5f, -1e-30f, float.NegativeInfinity, float.PositiveInfinity }) data.Add(k, a);
            foreach (var k in new[] { "leakyrelu", "relu" })
                foreach (var a in new[] { float.PositiveInfinity, float.NegativeInfinity }) data.Add(k, a);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(InvalidAlphas))]
    public void ValidateRejectsAlphaAndNamesTheValue(string name, float alpha)
    {
        var kind = ActivationCatalog.Parse(name);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => kind.Validate(alpha));
        Assert.Contains(alpha.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
        Assert.Contains(kind.Name, e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => kind.Validate(float.NaN));
    }

    /// <summary>Tensor.Activate validates before it allocates anything: a rejected α leaks nothing.</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ActivateRejectsAlphaAndNamesTheValue(string device)
    {
        var d = TestDevices.Get(device);
        using var x = Tensor.Zeros(d, 3);
        long before = d.MemoryStats.BytesInUse;
        foreach (var k in new[] { ActivationInfo.Of<ExLU>(), ActivationInfo.Of<TaLU>(), ActivationInfo.Of<ELU>() })
            foreach (var a in new[] { 0f, -2.5f })
            {
                var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Activate(k, a));
                Assert.Contains($"α = {a.ToString(System.Globalization.CultureInfo.InvariantCulture)}", e.Message);
            }
        Assert.Equal(before, d.MemoryStats.BytesInUse);
    }

    /// <summary>What is accepted: any α &gt; 0, however small, and any finite LeakyReLU slope (0 and negative too).</summary>
    [Fact]
    public void ValidateAcceptsPositiveAlphaAndAnyFiniteSlope()
    {
        foreach (var k in new[] { ActivationInfo.Of<ExLU>(), ActivationInfo.Of<TaLU>(), ActivationInfo.Of<ELU>() })
            foreach (var a in new[] { 1e-30f, 0.1f, 1f, 2.5f, 1e30f }) k.Validate(a);
        foreach (var a in new[] { -1f, 0f, 0.01f, 3f }) ActivationInfo.Of<LeakyReLU>().Validate(a);
        foreach (var k in ActivationCatalog.All) k.Validate(k.DefaultParameter);
    }

    [Fact]
    public void UnknownActivationNameListsTheValidOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ActivationCatalog.Parse("swishy"));
        Assert.Contains("'swishy'", e.Message);
        foreach (var k in ActivationCatalog.All) Assert.Contains(k.Name, e.Message);
        Assert.False(ActivationCatalog.TryParse("", out _));
        Assert.False(ActivationCatalog.TryParse(null, out _));
    }

    [Theory]
    [InlineData("talu", "talu")]
    [InlineData("TaLU", "talu")]
    [InlineData(" exlu ", "exlu")]
    [InlineData("leaky_relu", "leakyrelu")]
    [InlineData("Leaky-ReLU", "leakyrelu")]
    [InlineData("swish", "silu")]
    [InlineData("GELU", "gelu")]
    public void ActivationNamesParse(string text, string expected) => Assert.Equal(expected, ActivationCatalog.Parse(text).Name);

    [Fact]
    public void EveryActivationNameRoundTrips()
    {
        foreach (var k in ActivationCatalog.All) Assert.Equal(k, ActivationCatalog.Parse(k.Name));
    }

    [SkippableFact]
    public void AbsentCudaSaysWhatIsAvailable()
    {
        Skip.If(Device.List().Any(i => i.Kind == BackendKind.Cuda), "a CUDA device is present here");
        var e = Assert.Throws<DeviceUnavailableException>(() => Device.Create("cuda"));
        Assert.Contains("no usable cuda device", e.Message);
        AssertNamesAvailable(e.Message);
        var indexed = Assert.Throws<DeviceUnavailableException>(() => Device.Create("cuda:1"));
        Assert.Contains("#1", indexed.Message);
        AssertNamesAvailable(indexed.Message);
    }

    [Fact]
    public void MissingOpenClIndexSaysWhatIsAvailable()
    {
        var e = Assert.Throws<DeviceUnavailableException>(() => Device.Create("opencl:7"));
        Assert.Contains("#7", e.Message);
        AssertNamesAvailable(e.Message);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("gpu")]
    [InlineData("cuda:x")]
    [InlineData("cpu:-1")]
    public void UnknownDeviceSpecSaysWhatIsAccepted(string spec)
    {
        var e = Assert.Throws<DeviceUnavailableException>(() => Device.Create(spec));
        Assert.Contains($"'{spec}'", e.Message);
        foreach (var s in new[] { "cpu", "cuda", "opencl", "auto" }) Assert.Contains(s, e.Message);
    }

    [SkippableFact]
    public void TensorsOnDifferentDevicesNameBoth()
    {
        var cpu = TestDevices.Get("cpu");
        var cl = TestDevices.Get("opencl");
        using var scope = TensorScope.Begin();
        var a = Tensor.Zeros(cpu, 2);
        var b = Tensor.Zeros(cl, 2);
        var e = Assert.Throws<ArgumentException>(() => a + b);
        Assert.Contains("cpu", e.Message);
        Assert.Contains(cl.Key, e.Message);
        Assert.Throws<ArgumentException>(() => b.Activate(ActivationInfo.Of<ExLU>(), Tensor.Ones(cpu, 1)));
    }

    /// <summary>The message lists the CPU accelerator and every OpenCL device found (usable or not).</summary>
    private static void AssertNamesAvailable(string message)
    {
        Assert.Contains("available: ", message);
        Assert.Contains("cpu (ILGPU CPU accelerator)", message);
        foreach (var info in Device.List().Where(i => i.Kind == BackendKind.OpenCL))
            Assert.Contains(info.Key, message);
    }
}
