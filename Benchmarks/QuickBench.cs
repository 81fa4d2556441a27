// Quick benchmarks: each case is validated against its scalar reference, then timed with the
// accelerator synchronised inside the measured region; prints elements/s or GFLOP/s.
using System.Diagnostics;
using System.Text;
using Activations.Engine;
using Activations.Kernels.Activations;

namespace Activations.Benchmarks;

public static class QuickBench
{
    public static int Run(string[] args)
    {
        string devices = Option(args, "--device") ?? "cpu,opencl,cuda";
        string? outDir = Option(args, "--out");
        int size = int.Parse(Option(args, "--elements") ?? (16 << 20).ToString());
        var rows = new List<string> { "| device | case | size | time (ms) | throughput |", "| --- | --- | --- | --- | --- |" };
        foreach (var key in devices.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            Device device;
            try { device = Device.Create(key); }
            catch (DeviceUnavailableException e)
            {
                Console.WriteLine($"skip {key}: {e.Message}");
                continue;
            }
            using (device)
            {
                Console.WriteLine($"== {device}");
                rows.Add(ActivationRow<TaLU>(device, size, 1f));
                rows.Add(ActivationRow<ExLU>(device, size, 0.2f));
                rows.Add(ActivationRow<ReLU>(device, size, 0f));
                rows.Add(ActivationRow<GELU>(device, size, 0f));
            }
        }
        var table = string.Join(Environment.NewLine, rows);
        Console.WriteLine(table);
        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir);
            File.WriteAllText(Path.Combine(outDir, "quick.md"), table + Environment.NewLine, Encoding.UTF8);
        }
        return 0;
    }

    /// <summary>Mean milliseconds of <paramref name="launch"/>, synchronised, over ≥ 1 s or 50 runs.</summary>
    private static double Time(Device device, Action launch)
    {
        launch();
        device.Synchronize();
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

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>Forward + backward of activation T over n elements: validated, then timed.</summary>
    private static string ActivationRow<T>(Device device, int n, float alpha) where T : struct, IActivation
    {
        var host = CounterRng.Uniform(7, n, -4f, 4f);
        using var x = Tensor.FromArray(device, host, n);
        using var y = Tensor.Empty(device, n);
        using var dy = Tensor.Full(device, 1f, n);
        using var dx = Tensor.Empty(device, n);
        using var a = Tensor.FromArray(device, [alpha], 1);
        var k = device.Kernels.Get<ActivationKernels<T>>();
        k.Forward(x.View, y.View, a.View);
        k.Backward(x.View, y.View, dy.View, dx.View, a.View);
        var ys = y.ToArray();
        var dxs = dx.ToArray();
        for (int i = 0; i < n; i += Math.Max(1, n / 4096))
        {
            double ry = T.ForwardReference(host[i], alpha), rd = T.BackwardReference(host[i], alpha);
            if (Math.Abs(ys[i] - ry) > 1e-3 + 1e-3 * Math.Abs(ry) || Math.Abs(dxs[i] - rd) > 1e-3 + 1e-3 * Math.Abs(rd))
                throw new InvalidOperationException($"{T.Name} on {device.Key}: validation failed at {i}: x={host[i]} y={ys[i]} (ref {ry}) dx={dxs[i]} (ref {rd})");
        }
        double fwd = Time(device, () => k.Forward(x.View, y.View, a.View));
        double bwd = Time(device, () => k.Backward(x.View, y.View, dy.View, dx.View, a.View));
        double ms = fwd + bwd;
        double rate = n / (ms / 1000) / 1e6;
        Console.WriteLine($"{T.Name} {n}: forward {fwd:F2} ms, backward {bwd:F2} ms, {rate:F0} M elem/s");
        return $"| {device.Key} | {T.Name} forward+backward | {n} | {ms:F2} | {rate:F0} M elem/s |";
    }
}
