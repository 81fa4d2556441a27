// Every matmul kernel against the double-precision reference, on every accelerator: the three
// layouts (and Aᵀ·Bᵀ), awkward sizes that leave partial tiles, fused bias and accumulation.
using Activations.Engine;
using Activations.Kernels.MatMul;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.MatMul;

public class MatMulKernelTests
{
    public static TheoryData<string, MatMulAlgorithm> DevicesAndAlgorithms()
    {
        var data = new TheoryData<string, MatMulAlgorithm>();
        foreach (var d in new[] { "cpu", "opencl", "cuda" })
            foreach (var a in Enum.GetValues<MatMulAlgorithm>())
                data.Add(d, a);
        return data;
    }

    /// <summary>Runs one kernel on seeded data and compares (a sample of) C with the reference.</summary>
    internal static void Check(string device, MatMulAlgorithm algorithm, int m, int n, int k, bool ta, bool tb,
        bool bias = false, bool accumulate = false, int samples = 0)
    {
        var d = TestDevices.Get(device);
        var kernels = d.Kernels.Get<MatMulKernels>();
        // Where Tiled's 256-thread groups are not available the launcher falls back to the default kernel.
        if (!kernels.Supports(algorithm)) Assert.Equal(kernels.DefaultAlgorithm, kernels.Resolve(algorithm));
        using var scope = TensorScope.Begin();
        ulong seed = (ulong)(m * 7919 + n * 104729 + k * 31 + (ta ? 1 : 0) + (tb ? 2 : 0));
        var ha = CounterRng.Uniform(seed, m * k, -1f, 1f);
        var hb = CounterRng.Uniform(seed + 1, k * n, -1f, 1f);
        var hbias = bias ? CounterRng.Uniform(seed + 2, n, -1f, 1f) : [];
        var hc = accumulate ? CounterRng.Uniform(seed + 3, m * n, -1f, 1f) : [];
        var a = Tensor.FromArray(d, ha);
        var b = Tensor.FromArray(d, hb);
        var c = accumulate ? Tensor.FromArray(d, hc) : Tensor.Full(d, new Shape(m * n), float.NaN);
        var bv = bias ? Tensor.FromArray(d, hbias).View : default;
        kernels.MatMul(algorithm, a.View, b.View, c.View, m, n, k, ta, tb, bv, accumulate);
        var got = c.ToArray();
        var rng = new Random(1);
        int count = samples > 0 ? samples : m * n;
        for (int s = 0; s < count; s++)
        {
            int at = samples > 0 ? rng.Next(m * n) : s;
            int i = at / n, j = at % n;
            var (value, scale) = MatMulReference.Entry(ha, hb, m, n, k, ta, tb, i, j);
            if (bias) value += hbias[j];
            if (accumulate) value += hc[at];
            double err = Math.Abs(got[at] - value);
            Assert.True(err <= Tolerances.MatMulRel * (scale + 1) + Tolerances.MatMulAbs,
                $"{algorithm} {m}×{n}×{k} ta={ta} tb={tb}: C[{i},{j}] = {got[at]:R}, expected {value:R} (|diff| {err:E2})");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(DevicesAndAlgorithms))]
    public void OneByOne(string device, MatMulAlgorithm algorithm) => Check(device, algorithm, 1, 1, 1, false, false);

    [SkippableTheory]
    [MemberData(nameof(DevicesAndAlgorithms))]
    public void AwkwardSizesAllLayouts(string device, MatMulAlgorithm algorithm)
    {
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
            Check(device, algorithm, 17, 33, 65, ta, tb);
    }

    [SkippableTheory]
    [MemberData(nameof(DevicesAndAlgorithms))]
    public void MnistLayerSizes(string device, MatMulAlgorithm algorithm)
    {
        Check(device, algorithm, 64, 128, 784, false, true, bias: true);    // forward of Linear(784, 128)
        Check(device, algorithm, 64, 784, 128, false, false);               // ∂x = g·W
        Check(device, algorithm, 128, 784, 64, true, false);                // ∂W = gᵀ·x
    }

    [SkippableTheory]
    [MemberData(nameof(DevicesAndAlgorithms))]
    public void BiasAndAccumulate(string device, MatMulAlgorithm algorithm)
    {
        Check(device, algorithm, 5, 70, 3, false, false, bias: true, accumulate: true);
        Check(device, algorithm, 66, 9, 20, true, true, accumulate: true);
    }

    [SkippableTheory]
    [MemberData(nameof(DevicesAndAlgorithms))]
    public void EmptyInnerDimensionGivesBias(string device, MatMulAlgorithm algorithm) =>
        Check(device, algorithm, 3, 4, 0, false, false, bias: true);

    /// <summary>1000³ where it is quick (OpenCL, CUDA); a smaller but still multi-tile size on the CPU simulator.</summary>
    [SkippableTheory]
    [MemberData(nameof(DevicesAndAlgorithms))]
    public void Large(string device, MatMulAlgorithm algorithm)
    {
        int s = TestDevices.Get(device).Kind == Kernels.BackendKind.Cpu ? 300 : 1000;
        Check(device, algorithm, s, s, s, false, false, samples: 400);
        Check(device, algorithm, s, s - 1, s + 1, true, false, samples: 400);
        Check(device, algorithm, s + 3, s, s - 5, false, true, samples: 400);
    }
}
