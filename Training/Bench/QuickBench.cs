// `activations bench` (and `dotnet run --project Benchmarks -- quick`): each case is validated against its scalar reference, then timed with the
// accelerator synchronised inside the measured region; prints elements/s or GFLOP/s, and each
// against its yardstick (Baselines.cs): activations as a percentage of device-to-device copy
// bandwidth (forward + backward move 20 bytes per element: read x, write y; read x or y and dy,
// write dx), matmul as a percentage of cuBLAS SGEMM on CUDA.
using Activations.Kernels;
using System.Diagnostics;
using System.Runtime;
using System.Text;
using Activations.Engine;
using Activations.Kernels.Activations;
using ILGPU.Runtime;
using Device = Activations.Engine.Device;

namespace Activations.Training.Bench;

public static class QuickBench
{
    /// <summary>
    /// Runs the quick suite on each of <paramref name="devices"/> (absent ones are skipped): each of
    /// <paramref name="activations"/> over <paramref name="size"/> elements (those with a hand-written
    /// backward also with the derived one), square matmuls of <paramref name="matmulSizes"/>; writes
    /// quick.md into <paramref name="outDir"/> when given. The options are parsed by Cli/CommandLine.
    /// </summary>
    public static int Run(IReadOnlyList<string> devices, IReadOnlyList<ActivationInfo> activations, int size, IReadOnlyList<int> matmulSizes, string? outDir, TextWriter log)
    {
        var rows = new List<string>(Header);
        foreach (var key in devices)
        {
            Device device;
            try { device = Device.Create(key); }
            catch (DeviceUnavailableException e)
            {
                log.WriteLine($"skip {key}: {e.Message}");
                continue;
            }
            using (device)
            {
                log.WriteLine($"== {device}");
                rows.AddRange(ActivationRows(device, activations, size, log));
                using var blas = CuBlasBaseline.TryCreate(device, out string noBlas);
                if (blas is null && device.Kind == Kernels.BackendKind.Cuda) log.WriteLine($"no cuBLAS baseline: {noBlas}");
                foreach (int n in matmulSizes)
                    foreach (var (ta, tb, name) in new[] { (false, false, "A·B"), (true, false, "Aᵀ·B"), (false, true, "A·Bᵀ") })
                        rows.AddRange(MatMulRows(device, blas, n, ta, tb, name, log));
            }
        }
        var table = string.Join(Environment.NewLine, rows);
        log.WriteLine(table);
        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir);
            File.WriteAllText(Path.Combine(outDir, "quick.md"), table + Environment.NewLine, Encoding.UTF8);
        }
        return 0;
    }

    /// <summary>
    /// The copy baseline, then forward+backward of each activation (hand-written and derived where it
    /// has both) on <paramref name="size"/> elements, each validated first: Markdown table rows.
    /// </summary>
    public static IEnumerable<string> ActivationRows(Device device, IEnumerable<ActivationInfo> activations, int size, TextWriter? log = null)
    {
        log ??= Console.Out;
        var (copyMs, copyGBs) = Baselines.Copy(device, size, launch => Time(device, launch));
        log.WriteLine($"copy {size} floats device to device: {copyMs:F2} ms, {copyGBs:F1} GB/s");
        var rows = new List<string> { $"| {device.Key} | copy (device to device, baseline) | {size} | {copyMs:F2} | {copyGBs:F1} GB/s | 100% |" };
        foreach (var a in activations)
            foreach (bool derived in a.HasBackward ? new[] { false, true } : [true])
                rows.Add(a.Accept(new ActivationRow(device, size, a.Defaults, derived, copyGBs, log)));
        return rows;
    }

    /// <summary>The header of the Markdown table that the rows go in.</summary>
    public static readonly string[] Header = ["| device | case | size | time (ms) | throughput | vs baseline |", "| --- | --- | --- | --- | --- | --- |"];

    /// <summary>
    /// C = op(A)·op(B), n×n×n, with the accelerator's default kernel (and cuBLAS when given): 64
    /// sampled outputs checked against the double reference, then timed.
    /// </summary>
    private static IEnumerable<string> MatMulRows(Device device, CuBlasBaseline? blas, int n, bool ta, bool tb, string name, TextWriter log)
    {
        var a = CounterRng.Uniform(1, n * n, -1f, 1f);
        var b = CounterRng.Uniform(2, n * n, -1f, 1f);
        using var ta_ = Tensor.FromArray(device, a, n, n);
        using var tb_ = Tensor.FromArray(device, b, n, n);
        using var tc = Tensor.Empty(device, n, n);
        var k = device.Kernels.Get<Kernels.MatMul.MatMulKernels>();
        string? Disagreement()
        {
            var c = tc.ToArray();
            for (int s = 0; s < 64; s++)
            {
                int i = (int)(CounterRng.Hash(3, (ulong)s) % (ulong)n), j = (int)(CounterRng.Hash(4, (ulong)s) % (ulong)n);
                var (value, scale) = Kernels.MatMul.MatMulReference.Entry(a, b, n, n, n, ta, tb, i, j);
                if (!(Math.Abs(c[i * n + j] - value) <= Tolerances.MatMulRel * scale + Tolerances.MatMulAbs)) return $"C[{i},{j}] = {c[i * n + j]}, reference {value}";
            }
            return null;
        }
        k.MatMul(ta_.View, tb_.View, tc.View, n, n, n, ta, tb);
        if (Disagreement() is { } bad) throw new InvalidOperationException($"matmul {name} {n}³ on {device.Key}: {bad}");
        double ms = Time(device, () => k.MatMul(ta_.View, tb_.View, tc.View, n, n, n, ta, tb));
        double gflops = 2.0 * n * n * n / (ms / 1000) / 1e9;
        string vs = "";
        var rows = new List<string>();
        if (blas is not null)
        {
            tc.View.MemSetToZero();
            blas.Gemm(ta_.View, tb_.View, tc.View, n, n, n, ta, tb);
            device.Synchronize();
            if (Disagreement() is { } wrong)
            {
                log.WriteLine($"cuBLAS {name} {n}³ disagrees with the reference ({wrong}): not used as a baseline");
                rows.Add($"| {device.Key} | cuBLAS SGEMM {name} (baseline) | {n}³ | — | disagrees with the reference: {wrong} | — |");
            }
            else
            {
                double blasMs = Time(device, () => blas.Gemm(ta_.View, tb_.View, tc.View, n, n, n, ta, tb));
                double blasGflops = 2.0 * n * n * n / (blasMs / 1000) / 1e9;
                vs = $"{100 * gflops / blasGflops:F0}% of cuBLAS";
                log.WriteLine($"cuBLAS {name} {n}³: {blasMs:F2} ms, {blasGflops:F1} GFLOP/s");
                rows.Add($"| {device.Key} | cuBLAS SGEMM {name} (baseline) | {n}³ | {blasMs:F2} | {blasGflops:F1} GFLOP/s | 100% |");
            }
        }
        log.WriteLine($"matmul {name} {n}³ ({k.DefaultAlgorithm}): {ms:F1} ms, {gflops:F1} GFLOP/s{(vs.Length > 0 ? ", " + vs : "")}");
        rows.Insert(0, $"| {device.Key} | matmul {name} ({k.DefaultAlgorithm}) | {n}³ | {ms:F2} | {gflops:F1} GFLOP/s | {(vs.Length > 0 ? vs : "—")} |");
        return rows;
    }

    /// <summary>Launches without a JIT compile before <see cref="Time"/> starts timing (more than the 30 calls after which .NET recompiles a method).</summary>
    private const int QuietLaunches = 40;

    /// <summary>
    /// Mean milliseconds of <paramref name="launch"/>, synchronised, over ≥ 1 s or 50 runs, after
    /// warming up until .NET's JIT is quiet: it recompiles hot host code on a background thread, which
    /// took one of two cores from the first size measured (OpenCL 1024³ A·B 109–124 GFLOP/s, the same
    /// size again in the same process 157–170; 154–160 both times with tiered compilation off). Quiet
    /// means <see cref="QuietLaunches"/> launches and 300 ms without a compile: a method is recompiled
    /// after 30 calls, and one called once a launch took longer than 300 ms to get there.
    /// </summary>
    private static double Time(Device device, Action launch)
    {
        var warm = Stopwatch.StartNew();
        var quiet = Stopwatch.StartNew();
        int quietLaunches = 0;
        while ((quiet.ElapsedMilliseconds < 300 || quietLaunches < QuietLaunches) && warm.ElapsedMilliseconds < 10_000)
        {
            long compiled = JitInfo.GetCompiledMethodCount();
            launch();
            device.Synchronize();
            quietLaunches++;
            if (JitInfo.GetCompiledMethodCount() != compiled)
            {
                quiet.Restart();
                quietLaunches = 0;
            }
        }
        int reps = 0;
        var sw = Stopwatch.StartNew();
        do
        {
            launch();
            device.Synchronize();
            reps++;
        } while (sw.ElapsedMilliseconds < 1000 && reps < 50);
        return sw.Elapsed.TotalMilliseconds / reps;
    }

    /// <summary>Forward + backward of activation T over n elements: validated, then timed.</summary>
    /// <summary>
    /// One activation's forward+backward row: validated against the double reference (value, and
    /// slope by its exact derivative), then timed; "(derived)" where the backward is
    /// derived by dual numbers although a hand-written one exists.
    /// </summary>
    private sealed record ActivationRow(Device Device, int N, float[] P, bool Derived, double CopyGBs, TextWriter Log) : IActivationVisitor<string>
    {
        public string Visit<T>() where T : struct, IActivation
        {
            var (device, n) = (Device, N);
            var info = ActivationInfo.Of<T>();
            string name = T.Name + (Derived && T.HasBackward ? " (derived)" : "");
            var host = CounterRng.Uniform(7, n, -4f, 4f);
            using var x = Tensor.FromArray(device, host, n);
            using var y = Tensor.Empty(device, n);
            using var dy = Tensor.Full(device, 1f, n);
            using var dx = Tensor.Empty(device, n);
            using var a = Tensor.FromArray(device, P.Length == 0 ? [0f] : P, Math.Max(1, P.Length));
            var k = device.Kernels.Get<ActivationKernels<T>>();
            bool derived = Derived;
            k.Forward(x.View, y.View, a.View);
            k.Backward(x.View, y.View, dy.View, dx.View, a.View, derived: derived);
            var ys = y.ToArray();
            var dxs = dx.ToArray();
            var pd = P.Select(v => (double)v).ToArray();
            var (rel, abs) = Tolerances.Transcendental(device.Kind);
            for (int i = 0; i < n; i += Math.Max(1, n / 4096))
            {
                double ry = info.Reference(host[i], pd), rd = info.ReferenceDerivative(0, host[i], pd);
                if (!(Math.Abs(ys[i] - ry) <= abs + rel * Math.Abs(ry)) || !(Math.Abs(dxs[i] - rd) <= abs + rel * Math.Abs(rd)))
                    throw new InvalidOperationException($"{name} on {device.Key}: validation failed at {i}: x={host[i]} y={ys[i]} (ref {ry}) dx={dxs[i]} (ref {rd})");
            }
            double fwd = Time(device, () => k.Forward(x.View, y.View, a.View));
            double bwd = Time(device, () => k.Backward(x.View, y.View, dy.View, dx.View, a.View, derived: derived));
            double ms = fwd + bwd;
            double rate = n / (ms / 1000) / 1e6;
            double gbs = 20.0 * n / (ms / 1000) / 1e9;
            Log.WriteLine($"{name} {n}: forward {fwd:F2} ms, backward {bwd:F2} ms, {rate:F0} M elem/s, {gbs:F1} GB/s = {100 * gbs / CopyGBs:F0}% of copy");
            return $"| {device.Key} | {name} forward+backward | {n} | {ms:F2} | {rate:F0} M elem/s ({gbs:F1} GB/s) | {100 * gbs / CopyGBs:F0}% of copy |";
        }
    }
}
