// `activations verify --device X`: runs every kernel family on the chosen accelerator against its
// scalar reference and prints one line per check. Made for machines without the .NET SDK (the GPU
// machine gets a self-contained build): the CUDA equivalent of the test suite.
using System.Diagnostics;
using Activations.Engine;
using Activations.Kernels;
using Activations.Kernels.Activations;
using Activations.Kernels.Tensor;

namespace Activations.Training.Verify;

public sealed class KernelVerifier(Device device, TextWriter output)
{
    private int _passed, _failed;

    // CUDA without LibDevice uses approximate tanh/exp instructions.
    private double Rel => Tolerance(device).Rel;
    private double Abs => Tolerance(device).Abs;

    /// <summary>How far a kernel may be from its double reference on <paramref name="d"/>: |a − e| ≤ Abs + Rel·|e|.</summary>
    public static (double Rel, double Abs) Tolerance(Device d) => (d.Kind == BackendKind.Cuda ? 2e-3 : 1e-5, 1e-5);

    /// <summary>Runs all checks; returns the number of failures.</summary>
    public int Run()
    {
        var sw = Stopwatch.StartNew();
        output.WriteLine($"verify on {device}");
        float[] inputs = Inputs();
        foreach (var p in new[] { 0.1f, 1f, 2.5f })
        {
            foreach (var a in ActivationCatalog.BuiltIn) Activation(a, inputs, p);
        }
        Binary<AddOp>("add");
        Binary<SubOp>("sub");
        Binary<MulOp>("mul");
        Binary<DivOp>("div");
        Sums();
        NonFinite();
        output.WriteLine($"{_passed} passed, {_failed} failed ({sw.Elapsed.TotalSeconds:F1} s)");
        return _failed;
    }

    /// <summary>Special values, tiny and large magnitudes, and a seeded spread; length not a multiple of any group size.</summary>
    private static float[] Inputs()
    {
        var special = new[] { 0f, -0f, 1e-7f, -1e-7f, 1f, -1f, 100f, -100f, 1e4f, -1e4f, float.NaN, 0.5f, -0.5f };
        var spread = CounterRng.Uniform(5, 100_003, -8f, 8f);
        return [.. special, .. spread];
    }

    private void Check(string what, Func<string?> body)
    {
        string? problem;
        try { problem = body(); }
        catch (Exception e) { problem = $"{e.GetType().Name}: {e.Message}"; }
        if (problem is null) { _passed++; output.WriteLine($"  ok    {what}"); }
        else { _failed++; output.WriteLine($"  FAIL  {what}: {problem}"); }
    }

    private string? Compare(float[] actual, Func<int, double> expected)
    {
        for (int i = 0; i < actual.Length; i++)
        {
            double e = expected(i), a = actual[i];
            if (double.IsNaN(e) ? !double.IsNaN(a) : Math.Abs(a - e) > Abs + Rel * Math.Abs(e))
                return $"index {i}: got {a:R}, expected {e:R}";
        }
        return null;
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

    private void Binary<TOp>(string name) where TOp : struct, IBinaryOp
    {
        Check($"{name} same-shape and broadcast (37,1,5)∘(4,1)", () =>
        {
            using var scope = TensorScope.Begin();
            var a = CounterRng.Uniform(1, 37 * 5, 0.5f, 2f);
            var b = CounterRng.Uniform(2, 4, 0.5f, 2f);
            var ta = Tensor.FromArray(device, a, 37, 1, 5);
            var tb = Tensor.FromArray(device, b, 4, 1);
            var same = Tensor.Binary<TOp>(ta, ta).ToArray();
            var bc = Tensor.Binary<TOp>(ta, tb).ToArray(); // (37, 4, 5)
            return Compare(same, i => TOp.Reference(a[i], a[i]))
                ?? Compare(bc, i => TOp.Reference(a[i / 20 * 5 + i % 5], b[i / 5 % 4]));
        });
    }

    private void Sums()
    {
        Check("sum over axes (3,1000,7) and full sum of 1M (chunked)", () =>
        {
            using var scope = TensorScope.Begin();
            var x = CounterRng.Uniform(9, 3 * 1000 * 7, -1f, 1f);
            var t = Tensor.FromArray(device, x, 3, 1000, 7);
            var s1 = t.Sum(1).ToArray();
            var big = CounterRng.Uniform(10, 1 << 20, 0f, 1f);
            var total = Tensor.FromArray(device, big, big.Length).Sum().Item();
            double refTotal = big.Sum(v => (double)v);
            return Compare(s1, i => Enumerable.Range(0, 1000).Sum(r => (double)x[(i / 7 * 1000 + r) * 7 + i % 7]))
                ?? (Math.Abs(total - refTotal) > 1e-4 * refTotal ? $"full sum {total} vs {refTotal}" : null);
        });
    }

    private void NonFinite()
    {
        Check("non-finite count", () =>
        {
            using var scope = TensorScope.Begin();
            var x = Inputs();
            x[17] = float.PositiveInfinity;
            int got = Numerics.CountNonFinite(Tensor.FromArray(device, x, x.Length));
            int want = CheckKernels.NonFiniteReference(x);
            return got == want ? null : $"got {got}, expected {want}";
        });
        Check("clamp-min projection (learnable α), NaN kept", () =>
        {
            using var scope = TensorScope.Begin();
            var x = Inputs();
            x[3] = float.NaN;
            var t = Tensor.FromArray(device, x, x.Length);
            device.Kernels.Get<AffineKernels>().ClampMin(t.View, 0.01f);
            var got = t.ToArray();
            for (int i = 0; i < x.Length; i++)
                if (!AffineKernels.ClampMinReference(x[i], 0.01f).Equals(got[i])) return $"at {i}: {got[i]} for {x[i]}";
            return null;
        });
        Check("first non-finite step (loss watch)", () =>
        {
            using var watch = new NonFiniteWatch(device);
            int want = -1;
            float[] losses = [2.3f, float.NaN, 1f, float.PositiveInfinity];
            for (int step = 0; step < losses.Length; step++)
            {
                using var loss = Tensor.FromArray(device, [losses[step]], 1);
                watch.Observe(loss, step);
                want = CheckKernels.MarkNonFiniteReference(losses[step], want, step);
            }
            int got = watch.FirstBadStep ?? -1;
            return got == want ? null : $"got step {got}, expected {want}";
        });
    }
}
