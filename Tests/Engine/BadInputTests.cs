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
                Expect.Throws<ArgumentException>(() => op(x, y), "[2, 3]", "[4]");
        }
        Expect.Throws<ArgumentException>(() => Tensor.Zeros(d, 2, 1, 4) * Tensor.Zeros(d, 3, 2), "[2, 1, 4]", "[3, 2]");
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void BroadcastBeyondFourDimensionsNamesBothShapes(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        Expect.Throws<ArgumentException>(() => Tensor.Zeros(d, 2, 1, 1, 1, 3) + Tensor.Zeros(d, 3), "[2, 1, 1, 1, 3]", "[3]");
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ShapeErrorsNameTheShapes(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var t = Tensor.Zeros(d, 2, 3);
        t.Name = "batch";
        Expect.Throws<ArgumentException>(() => t.Reshape(4, 2), "batch [2, 3]", "[4, 2]");
        Expect.Throws<ArgumentException>(() => t.Reshape(-1, 4), "[-1, 4]");
        Expect.Throws<ArgumentException>(() => Tensor.FromArray(d, [1, 2, 3], 2, 2), "3 values", "[2, 2]");
        Expect.Throws<ArgumentException>(() => t.CopyFrom(new float[5]), "5 values", "[2, 3]");
        Expect.Throws<ArgumentException>(() => Tensor.Zeros(d, 2, -3), "[2, -3]");
        Expect.Throws<InvalidOperationException>(() => t.Item(), "[2, 3]");
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void AxisErrorsNameAxisAndShape(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var t = Tensor.Zeros(d, 2, 3);
        foreach (var use in new Action[] { () => t.Sum(2), () => t.Mean(-3), () => t.Max(5), () => t.ArgMax(-4), () => t.Flatten(2) })
            Expect.Throws<ArgumentOutOfRangeException>(use, "out of range for shape [2, 3]");
        Expect.Throws<ArgumentException>(() => t.Sum([1, -1]), "given twice");
        Expect.Throws<ArgumentException>(() => Tensor.Zeros(d, 2, 0).Max(1), "empty axis");
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void PerChannelAlphaOfTheWrongLengthNamesBoth(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Tensor.Zeros(d, 2, 3, 4, 4);
        Expect.Throws<ArgumentException>(() => x.Activate(ActivationInfo.Of<TaLU>(), Tensor.Ones(d, 4), channelAxis: 1), "α has 4 values", "[2, 3, 4, 4]", "3 channels");
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
        Expect.Throws<ArgumentOutOfRangeException>(() => kind.Validate(alpha), alpha.ToString(System.Globalization.CultureInfo.InvariantCulture), kind.Name);
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
                Expect.Throws<ArgumentOutOfRangeException>(() => x.Activate(k, a), $"α = {a.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
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
        Expect.Throws<ArgumentException>(() => ActivationCatalog.Parse("swishy"), ["'swishy'", .. ActivationCatalog.All.Select(k => k.Name)]);
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
        AssertNamesAvailable(Expect.Throws<DeviceUnavailableException>(() => Device.Create("cuda"), "no usable cuda device").Message);
        AssertNamesAvailable(Expect.Throws<DeviceUnavailableException>(() => Device.Create("cuda:1"), "#1").Message);
    }

    [Fact]
    public void MissingOpenClIndexSaysWhatIsAvailable()
    {
        AssertNamesAvailable(Expect.Throws<DeviceUnavailableException>(() => Device.Create("opencl:7"), "#7").Message);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("gpu")]
    [InlineData("cuda:x")]
    [InlineData("cpu:-1")]
    public void UnknownDeviceSpecSaysWhatIsAccepted(string spec)
    {
        Expect.Throws<DeviceUnavailableException>(() => Device.Create(spec), $"'{spec}'", "cpu", "cuda", "opencl", "auto");
    }

    [SkippableFact]
    public void TensorsOnDifferentDevicesNameBoth()
    {
        var cpu = TestDevices.Get("cpu");
        var cl = TestDevices.Get("opencl");
        using var scope = TensorScope.Begin();
        var a = Tensor.Zeros(cpu, 2);
        var b = Tensor.Zeros(cl, 2);
        Expect.Throws<ArgumentException>(() => a + b, "cpu", cl.Key);
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
