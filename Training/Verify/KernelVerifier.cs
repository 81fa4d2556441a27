// `activations verify --device X`: runs every kernel family on the chosen accelerator against its
// scalar reference, with the cases the tests run (Engine/Verification/KernelCases.cs), and prints one
// line per family; a failure names the case, the index and both values. Made for machines without
// the .NET SDK (the GPU machine gets a self-contained build): the CUDA equivalent of the test suite.
using System.Diagnostics;
using Activations.Engine;
using Activations.Engine.Verification;
using Activations.Kernels;
using Activations.Kernels.Activations;

namespace Activations.Training.Verify;

/// <summary>Runs the activation checks and <paramref name="cases"/> (default: every kernel case) on <paramref name="device"/>.</summary>
public sealed class KernelVerifier(Device device, TextWriter output, IReadOnlyList<KernelCase>? cases = null)
{
    private int _passed, _failed, _familyPassed;
    private readonly List<string> _familyFailures = [];

    /// <summary>Number of cases checked so far.</summary>
    public int Cases => _passed + _failed;

    /// <summary>Runs all checks; returns the number of failures.</summary>
    public int Run()
    {
        var sw = Stopwatch.StartNew();
        output.WriteLine($"verify on {device}");
        int families = 0;
        if (cases is null)
        {
            families++;
            Family("activations", () =>
            {
                float[] inputs = KernelCases.SpecialInputs();
                foreach (var p in new[] { 0.1f, 1f, 2.5f })
                {
                    Activation<ReLU>(inputs, p);
                    Activation<LeakyReLU>(inputs, p);
                    Activation<ELU>(inputs, p);
                    Activation<TaLU>(inputs, p);
                    Activation<ExLU>(inputs, p);
                    Activation<Tanh>(inputs, p);
                    Activation<Sigmoid>(inputs, p);
                    Activation<GELU>(inputs, p);
                    Activation<SiLU>(inputs, p);
                }
            });
        }
        foreach (var family in (cases ?? KernelCases.All).GroupBy(c => c.Family))
        {
            families++;
            Family(family.Key, () =>
            {
                foreach (var c in family) Check(c.Name, () => c.Run(device));
            });
        }
        output.WriteLine($"{_passed} passed, {_failed} failed in {families} families ({sw.Elapsed.TotalSeconds:F1} s)");
        return _failed;
    }

    /// <summary>Runs one family's checks and prints its line, then each failure under it.</summary>
    private void Family(string name, Action body)
    {
        var sw = Stopwatch.StartNew();
        _familyPassed = 0;
        _familyFailures.Clear();
        body();
        int total = _familyPassed + _familyFailures.Count;
        string time = $"{sw.Elapsed.TotalSeconds,5:F1} s";
        if (_familyFailures.Count == 0) output.WriteLine($"  ok    {name,-12} {total,3} cases  {time}");
        else output.WriteLine($"  FAIL  {name,-12} {_familyFailures.Count} of {total} cases failed  {time}");
        foreach (var f in _familyFailures) output.WriteLine($"        {f}");
        output.Flush();
    }

    private void Check(string what, Func<string?> body)
    {
        string? problem;
        try { problem = body(); }
        catch (Exception e) { problem = $"{e.Message.ReplaceLineEndings(" ")} ({e.GetType().Name})"; }
        if (problem is null) { _passed++; _familyPassed++; }
        else { _failed++; _familyFailures.Add($"{what}: {problem}"); }
    }

    private string? Compare(float[] actual, Func<int, double> expected)
    {
        var (rel, abs) = Tolerances.Transcendental(device.Kind);
        var want = new double[actual.Length];
        for (int i = 0; i < want.Length; i++) want[i] = expected(i);
        return Tolerances.FirstMismatch(actual, want, rel, abs)?.ToString();
    }

    private void Activation<T>(float[] x, float p) where T : struct, IActivation
    {
        Check($"{T.Name}(p={p}) forward/backward/dparam, n={x.Length}", () =>
        {
            using var scope = TensorScope.Begin();
            var k = device.Kernels.Get<ActivationKernels<T>>();
            var tx = Tensor.FromArray(device, x, x.Length);
            var ty = Tensor.Empty(device, x.Length);
            var tg = Tensor.Full(device, 1f, x.Length);
            var tdx = Tensor.Empty(device, x.Length);
            var tda = Tensor.Empty(device, x.Length);
            var ta = Tensor.FromArray(device, [p], 1);
            k.Forward(tx.View, ty.View, ta.View);
            k.Backward(tx.View, ty.View, tg.View, tdx.View, ta.View);
            k.ParamGrad(tx.View, ty.View, tg.View, tda.View, ta.View);
            return Compare(ty.ToArray(), i => T.ForwardReference(x[i], p))
                ?? Compare(tdx.ToArray(), i => T.BackwardReference(x[i], p))
                ?? Compare(tda.ToArray(), i => T.ParamGradReference(x[i], p));
        });
    }
}
