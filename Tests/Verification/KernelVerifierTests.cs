// `activations verify`: every kernel case passes on every accelerator present, and the checker
// reports a disagreement with the case, the index and both values (a deliberately broken comparison).
using Activations.Engine;
using Activations.Engine.Verification;
using Activations.Kernels;
using Activations.Kernels.Activations;
using Activations.Tests.Infrastructure;
using Activations.Training.Verify;

namespace Activations.Tests.Verification;

public class KernelVerifierTests
{
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void EveryFamilyPasses(string device)
    {
        var d = TestDevices.Get(device);
        var output = new StringWriter();
        var verifier = new KernelVerifier(d, output);
        int failed = verifier.Run();
        Assert.True(failed == 0, output.ToString());
        Assert.Equal(KernelCases.All.Count + 3 * ActivationCatalog.BuiltIn.Sum(a => a.HasBackward ? 2 : 1), verifier.Cases);   // every activation at three parameter values, hand-written and derived backward
        var lines = output.ToString().Split('\n');
        foreach (var family in KernelCases.All.Select(c => c.Family).Distinct().Prepend("activations"))
            Assert.Single(lines, l => l.StartsWith($"  ok    {family} "));
    }

    [Fact]
    public void BrokenComparisonIsReportedWithCaseIndexAndBothValues()
    {
        var d = TestDevices.Get("cpu");
        var broken = new KernelCase("elementwise", "exp against a reference off by 1e-3 at 7", dev =>
        {
            var x = CounterRng.Uniform(1, 20, -1f, 1f);
            using var scope = TensorScope.Begin();
            var y = Tensor.FromArray(dev, x, x.Length).Exp().ToArray();
            var want = Array.ConvertAll(x, v => Math.Exp(v));
            want[7] += 1e-3;
            return Tolerances.FirstMismatch(y, want, Tolerances.TranscendentalRel, Tolerances.TranscendentalAbs)?.ToString();
        });
        var fine = new KernelCase("elementwise", "a passing case", _ => null);
        var output = new StringWriter();
        int failed = new KernelVerifier(d, output, [fine, broken]).Run();
        string text = output.ToString();
        Assert.Equal(1, failed);
        Assert.Contains("FAIL  elementwise  1 of 2 cases failed", text);
        Assert.Contains("exp against a reference off by 1e-3 at 7: index 7: got ", text);
        var x7 = CounterRng.Uniform(1, 20, -1f, 1f)[7];
        Assert.Contains($"expected {Math.Exp(x7) + 1e-3:R}", text);
        Assert.Contains("1 failed", text);
    }

    [Fact]
    public void ExceptionInACaseIsAFailureNotACrash()
    {
        var output = new StringWriter();
        int failed = new KernelVerifier(TestDevices.Get("cpu"), output,
            [new KernelCase("pool", "throws", _ => throw new InvalidOperationException("boom"))]).Run();
        Assert.Equal(1, failed);
        Assert.Contains("throws: boom (InvalidOperationException)", output.ToString());
    }

    [Fact]
    public void FirstMismatchRules()
    {
        Assert.Null(Tolerances.FirstMismatch([1f, float.NaN, float.PositiveInfinity], [1.0000001, double.NaN, double.PositiveInfinity], 1e-6, 0));
        Assert.Equal(1, Tolerances.FirstMismatch([1f, 2f], [1, double.NaN], 1, 1)!.Value.Index);       // NaN expected, number got
        Assert.Equal(0, Tolerances.FirstMismatch([float.MaxValue], [double.PositiveInfinity], 1, 1)!.Value.Index);
        Assert.Equal(0, Tolerances.FirstMismatch([float.NaN], [0], 1, 1)!.Value.Index);                // NaN got, number expected
        Assert.Equal(-1, Tolerances.FirstMismatch([1f], [1, 2], 0, 0)!.Value.Index);                     // lengths differ
        var m = Tolerances.FirstMismatch([0f, 1.5f], [0, 1], 0.1, 0.1)!.Value;
        Assert.Equal((1, 1.5, 1.0), (m.Index, m.Actual, m.Expected));
        Assert.Contains("got 1.5, expected 1", m.ToString());
        Assert.Null(Tolerances.FirstDifference([0f, 1f], [0f, 1f]));
        Assert.Equal(0, Tolerances.FirstDifference([-0f], [0f])!.Value.Index);                            // bit-identical: −0 ≠ +0
    }
}
