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

    /// <summary>How far an activation kernel may be from its double reference on <paramref name="d"/>: |a − e| ≤ Abs + Rel·|e|.</summary>
    public static (double Rel, double Abs) Tolerance(Device d) => Tolerances.Transcendental(d.Kind);
    private double Rel => Tolerance(device).Rel;
    private double Abs => Tolerance(device).Abs;

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
                    foreach (var a in ActivationCatalog.BuiltIn) Activation(a, inputs, p);
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

    /// <summary>
    /// One activation with its first parameter at p (the others at their defaults): y against the
    /// double reference, and every derivative, hand-written and derived, against the reference's
    /// exact derivative (the forward on double dual numbers).
    /// </summary>
    private void Activation(ActivationInfo a, float[] x, float p)
    {
        var values = a.WithFirst(p);
        try { for (int k = 0; k < values.Length; k++) a.Validate(k, values[k]); }
        catch (ArgumentOutOfRangeException) { return; } // p outside this activation's range
        var pd = values.Select(v => (double)v).ToArray();
        var modes = a.HasBackward ? new[] { false, true } : [true];
        foreach (bool derived in modes)
            Check($"{a.Name}(p={p}) forward/backward/dparam{(derived && a.HasBackward ? " (derived)" : "")}, n={x.Length}", () =>
            {
                var r = ActivationProbe.Run(device, a, x, values, derived);
                var (y, grads) = (r.Y, new[] { r.Dx }.Concat(r.DParams).ToArray());
                string? problem = Compare(y, i => a.Reference(x[i], pd));
                for (int w = 0; w < grads.Length && problem is null; w++)
                {
                    int which = w;
                    problem = Compare(grads[w], i => a.ReferenceDerivative(which, x[i], pd));
                    if (problem is not null) problem = $"{(which == 0 ? "dy/dx" : "dy/d" + a.Parameters[which - 1].Name)} {problem}";
                }
                return problem;
            });
    }

}
