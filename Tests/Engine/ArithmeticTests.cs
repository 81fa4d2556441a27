// Elementwise arithmetic: broadcast binary ops, scalar (affine) ops and unary maps, forward against
// double-precision host references on every device, and gradients against finite differences.
using Activations.Engine;
using Activations.Tests.Infrastructure;
using static Activations.Tests.Infrastructure.HostReference;

namespace Activations.Tests.Engine;

public class ArithmeticTests
{
    private static readonly Dictionary<string, (Func<Tensor, Tensor, Tensor> Engine, Func<double, double, double> Reference)> Binaries = new()
    {
        ["add"] = ((a, b) => a + b, (a, b) => a + b),
        ["sub"] = ((a, b) => a - b, (a, b) => a - b),
        ["mul"] = ((a, b) => a * b, (a, b) => a * b),
        ["div"] = ((a, b) => a / b, (a, b) => a / b),
    };

    public static TheoryData<string, string> DevicesAndBinaryOps
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string d in TestDevices.DeviceKeys) foreach (var op in Binaries.Keys) data.Add(d, op);
            return data;
        }
    }

    /// <summary>Same shape, trailing and leading broadcasts, both sides broadcast, scalar-shaped, rank 4, long, empty.</summary>
    private static readonly (int[] A, int[] B)[] ForwardShapes =
    [
        ([2, 3], [2, 3]), ([2, 3], [3]), ([3], [2, 3]), ([2, 1, 4], [3, 1]), ([3, 1], [2, 1, 4]), ([1], [2, 3]), ([2, 3], [1]),
        ([2, 3, 4, 5], [3, 1, 5]), ([4, 1, 3, 1], [1, 5, 1, 6]), ([1023], [1023]), ([4099], [1]), ([257, 33], [33]),
        ([33, 1], [1, 257]), ([0, 3], [3]), ([0], [0]),
    ];

    /// <summary>Small enough for finite differences; the cases the issue names and their mirror images.</summary>
    private static readonly (int[] A, int[] B)[] GradShapes =
    [
        ([2, 3], [2, 3]), ([2, 3], [3]), ([3], [2, 3]), ([2, 1, 4], [3, 1]), ([3, 1], [2, 1, 4]), ([1], [2, 3]), ([2, 3], [1]),
        ([2, 3, 1, 2], [3, 4, 1]),
    ];

    [SkippableTheory]
    [MemberData(nameof(DevicesAndBinaryOps))]
    public void BinaryForwardMatchesReference(string device, string op)
    {
        var d = TestDevices.Get(device);
        var (engine, reference) = Binaries[op];
        foreach (var (sa, sb) in ForwardShapes)
        {
            var a = TestInputs.Mixed(Length(sa), 1);
            // Divisors cover ±0 and NaN (through Mixed) as well as ordinary values.
            var b = TestInputs.Mixed(Length(sb), 2);
            using var scope = TensorScope.Begin();
            var z = engine(Tensor.FromArray(d, a, sa), Tensor.FromArray(d, b, sb));
            Assert.Equal(BroadcastShape(sa, sb), z.Shape.ToArray());
            var expected = Binary(ToDouble(a), sa, ToDouble(b), sb, reference);
            Tolerances.AssertClose(z.ToArray(), expected, Tolerances.ElementwiseRel, Tolerances.ElementwiseAbs,
                $"{op} {Shape.Format(sa)} {Shape.Format(sb)} on {d.Key}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(DevicesAndBinaryOps))]
    public void BinaryGradients(string device, string op)
    {
        var d = TestDevices.Get(device);
        var (engine, reference) = Binaries[op];
        foreach (var (sa, sb) in GradShapes)
        {
            var so = BroadcastShape(sa, sb);
            var w = TestInputs.UniformD(Length(so), 3, 0.5, 1.5);
            GradCheck.Check(d, [TestInputs.AwayFromZero(Length(sa), 4), TestInputs.AwayFromZero(Length(sb), 5, 0.5, 2)], [sa, sb],
                t => Weighted(d, engine(t[0], t[1]), w),
                v => Binary(v[0], sa, v[1], sb, reference).Select((z, i) => w[i] * z).Sum());
        }
    }

    /// <summary>A tensor op with itself as the other operand: both gradient contributions land on one leaf.</summary>
    [SkippableTheory]
    [MemberData(nameof(DevicesAndBinaryOps))]
    public void BinaryWithItself(string device, string op)
    {
        var d = TestDevices.Get(device);
        var (engine, reference) = Binaries[op];
        var w = TestInputs.UniformD(6, 6, 0.5, 1.5);
        GradCheck.Check(d, [TestInputs.AwayFromZero(6, 7, 0.5, 2)], [[2, 3]],
            t => Weighted(d, engine(t[0], t[0]), w),
            v => v[0].Select((x, i) => w[i] * reference(x, x)).Sum());
    }

    private static readonly (string Name, Func<Tensor, Tensor> Engine, Func<double, double> Reference)[] ScalarOps =
    [
        ("x + 2.5", x => x + 2.5f, x => x + 2.5),
        ("x - 1.25", x => x - 1.25f, x => x - 1.25),
        ("x * 3", x => x * 3f, x => x * 3),
        ("-0.5 * x", x => -0.5f * x, x => -0.5 * x),
        ("x / 4", x => x / 4f, x => x / 4),
        ("x / 3", x => x / 3f, x => x / 3),
        ("-x", x => -x, x => -x),
        ("affine 1.5x - 2", x => x.Affine(1.5f, -2f), x => 1.5 * x - 2),
    ];

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ScalarOpsForward(string device)
    {
        var d = TestDevices.Get(device);
        var x = TestInputs.Mixed(4099, 8);
        foreach (var (name, engine, reference) in ScalarOps)
        {
            using var scope = TensorScope.Begin();
            var y = engine(Tensor.FromArray(d, x, x.Length));
            // x/3 is computed as x·(1/3): two roundings, so allow a few ulps.
            Tolerances.AssertClose(y.ToArray(), x.Select(v => reference(v)).ToArray(), Tolerances.ElementwiseRel, Tolerances.ElementwiseAbs,
                $"{name} on {d.Key}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ScalarOpsGradients(string device)
    {
        var d = TestDevices.Get(device);
        var w = TestInputs.UniformD(6, 9, 0.5, 1.5);
        foreach (var (_, engine, reference) in ScalarOps)
            GradCheck.Check(d, [TestInputs.UniformD(6, 10, -3, 3)], [[3, 2]],
                t => Weighted(d, engine(t[0]), w),
                v => v[0].Select((x, i) => w[i] * reference(x)).Sum());
    }

    private static readonly (string Name, Func<Tensor, Tensor> Engine, Func<double, double> Reference, float[] Inputs, bool Transcendental)[] UnaryOps =
    [
        ("exp", x => x.Exp(), Math.Exp, [0f, -0f, 1e-7f, -1e-7f, 1f, -1f, 10f, -10f, 80f, -80f, 88f, 89f, -104f, -1e4f, 1e4f, float.NaN], true),
        ("log", x => x.Log(), Math.Log, [1f, 2f, 0.5f, 1e-7f, 1e-30f, 1e30f, 3.4e38f, 1e4f, 0f, -0f, -1f, float.NaN], true),
        ("sqrt", x => x.Sqrt(), Math.Sqrt, [0f, -0f, 1f, 2f, 1e-7f, 1e-30f, 1e30f, 3.4e38f, 4f, -1f, float.NaN], false),
        ("square", x => x.Square(), x => x * x, [0f, -0f, 1f, -1f, 1e-7f, -3f, 1e4f, -1e4f, 1e19f, 1e20f, float.NaN], false),
    ];

    /// <summary>Each unary map on its special values (incl. 0, negatives, overflow, NaN) and on 4099 ordinary ones.</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void UnaryForward(string device)
    {
        var d = TestDevices.Get(device);
        foreach (var (name, engine, reference, specials, transcendental) in UnaryOps)
        {
            var (rel, abs) = transcendental ? Tolerances.Transcendental(d) : (Tolerances.ElementwiseRel, Tolerances.ElementwiseAbs);
            var ordinary = name is "log" or "sqrt" ? TestInputs.Uniform(4099, 11, 1e-3f, 50f) : TestInputs.Uniform(4099, 11, -20f, 20f);
            foreach (var x in new[] { specials, ordinary })
            {
                using var scope = TensorScope.Begin();
                var y = engine(Tensor.FromArray(d, x, x.Length));
                // The reference is rounded to float: exp(89) and 1e20² overflow float32 to +∞ as they should.
                var expected = x.Select(v => (double)(float)reference(v)).ToArray();
                Tolerances.AssertClose(y.ToArray(), expected, rel, abs, $"{name} on {d.Key}");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void UnaryGradients(string device)
    {
        var d = TestDevices.Get(device);
        var w = TestInputs.UniformD(7, 12, 0.5, 1.5);
        GradCheck.Check(d, [TestInputs.UniformD(7, 13, -2, 2)], [[7]], t => Weighted(d, t[0].Exp(), w), v => v[0].Select((x, i) => w[i] * Math.Exp(x)).Sum());
        GradCheck.Check(d, [TestInputs.UniformD(7, 14, 0.2, 3)], [[7]], t => Weighted(d, t[0].Log(), w), v => v[0].Select((x, i) => w[i] * Math.Log(x)).Sum());
        GradCheck.Check(d, [TestInputs.UniformD(7, 15, 0.2, 3)], [[7]], t => Weighted(d, t[0].Sqrt(), w), v => v[0].Select((x, i) => w[i] * Math.Sqrt(x)).Sum());
        GradCheck.Check(d, [TestInputs.UniformD(7, 16, -3, 3)], [[7]], t => Weighted(d, t[0].Square(), w), v => v[0].Select((x, i) => w[i] * x * x).Sum());
    }

    /// <summary>A chain of every op kind, so gradients flow through several backward closures in sequence.</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ComposedChain(string device)
    {
        var d = TestDevices.Get(device);
        // loss = Σ log(1 + exp(a·b − c)) / 2 + sqrt(a²+1) (b: (3), broadcast over rows)
        GradCheck.Check(d, [TestInputs.UniformD(6, 17, -1, 1), TestInputs.UniformD(3, 18, -1, 1), TestInputs.UniformD(6, 19, -1, 1)], [[2, 3], [3], [2, 3]],
            t => ((((t[0] * t[1] - t[2]).Exp() + 1f).Log() / 2f) + (t[0].Square() + 1f).Sqrt()).Sum(),
            v => Enumerable.Range(0, 6).Sum(i => Math.Log(1 + Math.Exp(v[0][i] * v[1][i % 3] - v[2][i])) / 2 + Math.Sqrt(v[0][i] * v[0][i] + 1)));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ReshapeAndFlattenGradients(string device)
    {
        var d = TestDevices.Get(device);
        var x = TestInputs.UniformD(24, 20, -2, 2);
        var w = TestInputs.UniformD(24, 21, 0.5, 1.5);
        double Reference(double[][] v) => v[0].Select((xi, i) => w[i] * xi * xi).Sum();
        GradCheck.Check(d, [x], [[2, 3, 4]], t => Weighted(d, t[0].Reshape(4, 6).Square(), w), Reference);
        GradCheck.Check(d, [x], [[2, 3, 4]], t => Weighted(d, t[0].Reshape(-1, 3).Square(), w), Reference);
        GradCheck.Check(d, [x], [[2, 3, 2, 2]], t => Weighted(d, t[0].Flatten().Square(), w), Reference);
        GradCheck.Check(d, [x], [[2, 3, 2, 2]], t => Weighted(d, t[0].Flatten(0).Square(), w), Reference);
        // A reshaped view feeding a broadcast op, then reshaped back.
        GradCheck.Check(d, [x], [[24]], t => Weighted(d, (t[0].Reshape(2, 3, 4) * t[0].Reshape(2, 3, 4)).Reshape(24), w), Reference);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ReshapeSharesDataAndKeepsOrder(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(d, [1, 2, 3, 4, 5, 6], 2, 3);
        var r = x.Reshape(3, -1);
        Assert.Equal([3, 2], r.Shape.ToArray());
        Assert.Equal([1f, 2, 3, 4, 5, 6], r.ToArray());
        Assert.Equal([2, 3], x.Flatten().Shape.ToArray());
        Assert.Equal([6], x.Flatten(0).Shape.ToArray());
        Assert.Equal([2, 12], Tensor.Zeros(d, 2, 3, 2, 2).Flatten().Shape.ToArray());
    }

    /// <summary>Σ w ⊙ y for fixed weights w of y's shape: a scalar loss whose gradient differs per element.</summary>
    internal static Tensor Weighted(Device d, Tensor y, double[] w) =>
        (y * Tensor.FromArray(d, TestInputs.ToFloat(w), y.Shape.ToArray())).Sum();

    private static double[] ToDouble(float[] a) => Array.ConvertAll(a, v => (double)v);

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void AddScaledInPlaceAccumulatesOutsideAutograd(string device)
    {
        var d = TestDevices.Get(device);
        var x = TestInputs.Mixed(1027, 3);
        var y = TestInputs.Mixed(1027, 4);
        using var tx = Tensor.FromArray(d, x, 1027);
        using var ty = Tensor.FromArray(d, y, 1027);
        ty.AddScaledInPlace(tx, 2.5f);
        Tolerances.AssertClose(ty.ToArray(), y.Select((v, i) => (double)v + 2.5 * x[i]).ToArray(), Tolerances.ElementwiseRel, Tolerances.ElementwiseAbs,
            $"y += 2.5·x on {d.Key}");
        using var wrong = Tensor.Zeros(d, 3);
        Assert.Throws<ArgumentException>(() => ty.AddScaledInPlace(wrong));
    }
}
