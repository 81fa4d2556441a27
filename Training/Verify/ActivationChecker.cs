// `activations check --activation NAME|FILE.cs`: whether one activation is sound, on every
// accelerator present. Failed checks (exit 1): the kernels against the double reference, each
// backward (hand-written and derived) and parameter gradient against the exact dual-number
// derivative and against finite differences, NaN propagation, overflow at ±1e4. Reported only:
// monotonicity and continuity at 0 of f and f′. Then a plot of f and f′ next to ReLU and a
// benchmark row against ReLU and TaLU.
using System.Globalization;
using Activations.Engine;
using Activations.Kernels;
using Activations.Kernels.Activations;

namespace Activations.Training.Verify;

public sealed class ActivationChecker(ActivationInfo activation, TextWriter output)
{
    private int _passed, _failed;

    // Finite differences of the double reference (error ~1e-10) against float kernels: float rounding dominates.
    private const double FdAbs = 1e-4, FdRel = 1e-3;

    // Points closer than this to the kink at 0 are left out of the finite-difference comparison (h = 1e-3).
    private const double Kink = 1e-2;

    public int Passed => _passed;
    public int Failed => _failed;

    /// <summary>The points checked: a dense spread over [−6, 6] and the special values.</summary>
    public static float[] Points()
    {
        var spread = Enumerable.Range(0, 1201).Select(i => -6f + 12f * i / 1200);
        return [.. spread, 0f, -0f, 1e-7f, -1e-7f, 20f, -20f, 100f, -100f];
    }

    /// <summary>Runs every check on <paramref name="device"/>; returns the number of failures so far.</summary>
    public int Run(Device device)
    {
        var (passed, failed) = (_passed, _failed);
        output.WriteLine($"check {activation.Name} ({activation.Formula}) on {device}");
        var p = activation.Defaults;
        if (p.Length > 0)
            output.WriteLine($"  parameters: {string.Join(", ", activation.Parameters.Select((q, k) => $"{q.Symbol} = {F(p[k])}"))}");
        var pd = p.Select(v => (double)v).ToArray();
        var x = Points();
        var (rel, abs) = KernelVerifier.Tolerance(device);

        var probe = ActivationProbe.Run(device, activation, x, p);
        Check("forward against the double reference", () => Compare("f", x, probe.Y, i => activation.Reference(x[i], pd), abs, rel, "reference"));
        var modes = activation.HasBackward ? new[] { false, true } : [true];
        foreach (bool derived in modes)
        {
            string how = derived ? "derived" : "hand-written";
            var r = derived ? ActivationProbe.Run(device, activation, x, p, derived: true) : probe;
            var grads = new[] { r.Dx }.Concat(r.DParams).ToArray();
            for (int w = 0; w < grads.Length; w++)
            {
                int which = w;
                string d = which == 0 ? "dy/dx" : "dy/d" + activation.Parameters[which - 1].Symbol;
                Check($"{d} ({how}) against the exact derivative", () =>
                    Compare(d, x, grads[which], i => activation.ReferenceDerivative(which, x[i], pd), abs, rel, "dual numbers"));
                Check($"{d} ({how}) against finite differences", () =>
                    Compare(d, x, grads[which], i => Math.Abs(x[i]) < Kink ? double.NaN : activation.FiniteDifference(which, x[i], pd), FdAbs, FdRel, "finite differences"));
            }
        }
        Extremes(device, p);
        Shape(device, p);
        output.WriteLine($"{device.Key}: {_passed - passed} passed, {_failed - failed} failed");
        return _failed;
    }

    private void Extremes(Device device, float[] p)
    {
        foreach (bool derived in activation.HasBackward ? new[] { false, true } : [true])
        {
            var r = ActivationProbe.Run(device, activation, [float.NaN, 1e4f, -1e4f], p, derived);
            string how = derived ? "derived" : "hand-written";
            if (!derived || !activation.HasBackward)
                Check("NaN propagates (f(NaN) is NaN)", () => float.IsNaN(r.Y[0]) ? null : $"{activation.Name}: f(NaN) = {F(r.Y[0])}; a NaN input must stay NaN so that training's NaN check sees it");
            Check($"no overflow at ±1e4 (f, dy/dx{(r.DParams.Length > 0 ? ", dy/dp" : "")}, {how})", () =>
            {
                for (int i = 1; i < 3; i++)
                {
                    string at = i == 1 ? "1e4" : "-1e4";
                    if (!float.IsFinite(r.Y[i])) return $"{activation.Name}: overflow: f({at}) = {F(r.Y[i])}";
                    if (!float.IsFinite(r.Dx[i])) return $"{activation.Name}: overflow: dy/dx({at}) = {F(r.Dx[i])} ({how})";
                    for (int k = 0; k < r.DParams.Length; k++)
                        if (!float.IsFinite(r.DParams[k][i])) return $"{activation.Name}: overflow: dy/d{activation.Parameters[k].Symbol}({at}) = {F(r.DParams[k][i])} ({how})";
                }
                return null;
            });
        }
    }

    /// <summary>Monotonicity and continuity at 0 of f and f′: reported, not required.</summary>
    private void Shape(Device device, float[] p)
    {
        var x = Enumerable.Range(0, 2001).Select(i => -8f + 16f * i / 2000).ToArray();
        var r = ActivationProbe.Run(device, activation, x, p);
        int worst = -1;
        for (int i = 1; i < x.Length; i++)
            if (r.Y[i] < r.Y[i - 1] - 1e-6f * Math.Max(1f, Math.Abs(r.Y[i])) && (worst < 0 || r.Y[i] < r.Y[worst])) worst = i;
        if (worst < 0) Note("monotonic: yes, f never decreases on [−8, 8]");
        else
        {
            int min = Array.IndexOf(r.Y, r.Y.Min());
            Note($"monotonic: no, f decreases on [−8, 8]; its minimum there is f({F(x[min])}) = {F(r.Y[min])}");
        }
        const float e = 1e-4f;
        var z = ActivationProbe.Run(device, activation, [-e, e], p);
        double jump = Math.Abs(z.Y[1] - z.Y[0]), kink = Math.Abs(z.Dx[1] - z.Dx[0]);
        Note(jump < 1e-3 ? $"f continuous at 0: f(−1e-4) = {F(z.Y[0])}, f(1e-4) = {F(z.Y[1])}" : $"f jumps at 0: f(−1e-4) = {F(z.Y[0])}, f(1e-4) = {F(z.Y[1])}");
        Note(kink < 1e-2 ? $"f′ continuous at 0: f′(−1e-4) = {F(z.Dx[0])}, f′(1e-4) = {F(z.Dx[1])}" : $"f′ jumps at 0 (a kink): f′(−1e-4) = {F(z.Dx[0])}, f′(1e-4) = {F(z.Dx[1])}");
    }

    /// <summary>Null when every value agrees, else the first disagreement, naming the activation, x and both values.</summary>
    private string? Compare(string what, float[] x, float[] actual, Func<int, double> expected, double abs, double rel, string against)
    {
        for (int i = 0; i < actual.Length; i++)
        {
            double e = expected(i), a = actual[i];
            if (double.IsNaN(e)) continue;
            if (!(Math.Abs(a - e) <= abs + rel * Math.Abs(e)))
                return $"{activation.Name}: {what} at x = {F(x[i])}: kernel {F(a)}, {against} {F(e)}";
        }
        return null;
    }

    private void Check(string what, Func<string?> body)
    {
        string? problem = body();
        if (problem is null) { _passed++; output.WriteLine($"  ok    {what}"); }
        else { _failed++; output.WriteLine($"  FAIL  {what}: {problem}"); }
    }

    private void Note(string what) => output.WriteLine($"  note  {what}");

    private static string F(double v) => v.ToString("G7", CultureInfo.InvariantCulture);
}
