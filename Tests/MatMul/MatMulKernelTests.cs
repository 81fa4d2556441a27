// Every matmul kernel against the double-precision reference, on every accelerator: the three
// layouts (and Aᵀ·Bᵀ), awkward sizes that leave partial tiles, fused bias and accumulation.
using Activations.Kernels;
using Activations.Engine;
using Activations.Engine.Verification;
using Activations.Kernels.MatMul;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.MatMul;

public class MatMulKernelTests
{
    public static IEnumerable<object[]> DevicesAndAlgorithms() => TestDevices.With(Enum.GetValues<MatMulAlgorithm>(), a => [a]);

    public static IEnumerable<object[]> DevicesAlgorithmsAndShapes() =>
        TestDevices.With(Enum.GetValues<MatMulAlgorithm>().SelectMany(a => Enumerable.Range(0, KernelCases.MatMulShapes.Length).Select(i => (a, i))),
            c => [c.a, c.i]);

    /// <summary>Runs one kernel on seeded data and compares (a sample of) C with the reference.</summary>
    internal static void Check(string device, MatMulAlgorithm algorithm, MatMulShape shape, int samples = 0)
    {
        var d = TestDevices.Get(device);
        var kernels = d.Kernels.Get<MatMulKernels>();
        // Where Tiled's 256-thread groups are not available the launcher falls back to the default kernel.
        if (!kernels.Supports(algorithm)) Assert.Equal(kernels.DefaultAlgorithm, kernels.Resolve(algorithm));
        var problem = KernelCases.MatMul(d, algorithm, shape, samples);
        Assert.True(problem is null, $"{algorithm} {shape}: {problem}");
    }

    /// <summary>
    /// The shapes `verify` runs (KernelCases.MatMulShapes): the three layouts and Aᵀ·Bᵀ, partial tiles,
    /// MNIST's layer sizes, fused bias and accumulation, K = 0, sizes above the tile.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(DevicesAlgorithmsAndShapes))]
    public void SharedShapes(string device, MatMulAlgorithm algorithm, int shape) =>
        Check(device, algorithm, KernelCases.MatMulShapes[shape]);

    public static IEnumerable<object[]> DevicesAndPanels() => TestDevices.With([1, 2, 3], p => [p]);

    /// <summary>
    /// Every packed unit (8×8; 16×16 with the in-place 8×16; 4×24: LaunchPlan.PackedPanels) with this device's product loop (fused
    /// on OpenCL), whichever unit the device would choose: the shared shapes and one of several bands.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(DevicesAndPanels))]
    public void PackedUnits(string device, int panels)
    {
        var d = TestDevices.Get(device);
        var plan = new LaunchPlan(d.Accelerator, panels);
        Skip.If(d.Kernels.Get<MatMulKernels>().DefaultAlgorithm != MatMulAlgorithm.Packed, $"{device} does not run the packed matmul");
        Assert.Equal(panels, plan.PackedPanels);
        var kernels = MatMulKernels.Load(d.Accelerator, plan);
        foreach (var shape in KernelCases.MatMulShapes.Append(new(200, 150, 70, false, false, Bias: true)))
        {
            var problem = KernelCases.MatMul(d, MatMulAlgorithm.Packed, shape, kernels: kernels);
            Assert.True(problem is null, $"{panels} panels, {shape}: {problem}");
        }
    }

    /// <summary>PoCL's device name says what it compiles for; only AVX-512 targets get the wide units.</summary>
    [Theory]
    [InlineData("cpu-skylake-avx512-AMD EPYC", true)]
    [InlineData("cpu-znver4-AMD Ryzen 9 7950X", true)]
    [InlineData("cpu-sapphirerapids-Intel(R) Xeon(R)", true)]
    [InlineData("cpu-haswell-AMD EPYC", false)]
    [InlineData("cpu-znver3-AMD EPYC 7763", false)]
    [InlineData("cpu-x86-64-Intel(R) Core(TM)", false)]
    [InlineData("Intel(R) Xeon(R) Platinum 8380 (avx512)", false)]
    public void Avx512TargetFromDeviceName(string name, bool expected) => Assert.Equal(expected, LaunchPlan.CompilesForAvx512(name));

    /// <summary>1000³ where it is quick (OpenCL, CUDA); a smaller but still multi-tile size on the CPU simulator.</summary>
    [SkippableTheory]
    [MemberData(nameof(DevicesAndAlgorithms))]
    public void Large(string device, MatMulAlgorithm algorithm)
    {
        int s = TestDevices.Get(device).Kind == Kernels.BackendKind.Cpu ? 300 : 1000;
        Check(device, algorithm, new(s, s, s, false, false), samples: 400);
        Check(device, algorithm, new(s, s - 1, s + 1, true, false), samples: 400);
        Check(device, algorithm, new(s + 3, s, s - 5, false, true), samples: 400);
    }
}
