// Where everything runs: one ILGPU context and accelerator, its loaded kernels and its buffer pool.
//
// Device specs: "cpu" (ILGPU's CPU accelerator, a simulator), "cuda", "opencl" (a device ILGPU can
// load kernels on: OpenCL 2.0, or 3.0 with the generic address space), "auto" (CUDA, then a
// usable OpenCL device, then the CPU accelerator). "cuda:1" / "opencl:1" pick the n-th device.
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using Activations.Kernels;
using Activations.Kernels.Pool;

namespace Activations.Engine;

/// <summary>What <c>devices</c> lists about one accelerator.</summary>
public sealed record DeviceInfo(string Key, BackendKind Kind, string Name, long MemoryBytes, int WarpSize,
    int MaxGroupSize, int Multiprocessors, bool Usable, string Note);

/// <summary>The requested accelerator is absent or cannot run our kernels.</summary>
public sealed class DeviceUnavailableException(string message) : Exception(message);

public sealed class Device : IDisposable
{
    private bool _disposed;

    public Context Context { get; }
    public Accelerator Accelerator { get; }
    public KernelCache Kernels { get; }
    public BackendKind Kind { get; }
    public string Key { get; }
    public string Name => Accelerator.Name;
    internal BufferPool Pool { get; }

    /// <summary>Memory statistics of this device's buffer pool.</summary>
    public BufferPoolStats MemoryStats => Pool.Stats;

    internal int LiveIntBufferCount;

    /// <summary>Int buffers (labels, argmax indices) allocated on this device and not yet disposed.</summary>
    public int LiveIntBuffers => Volatile.Read(ref LiveIntBufferCount);

    private Device(Context context, Accelerator accelerator, string key)
    {
        Context = context;
        Accelerator = accelerator;
        Key = key;
        Kind = LaunchPlan.KindOf(accelerator);
        Kernels = new KernelCache(accelerator);
        Pool = new BufferPool(this);
    }

    /// <summary>
    /// The CPU accelerator's simulated device: each simulated thread is an OS thread, so few of
    /// them: one multiprocessor per core, a small group each. Override with
    /// ACTIVATIONS_CPU_DEVICE="threadsPerWarp,warpsPerMultiprocessor,multiprocessors".
    /// </summary>
    public static CPUDevice SimulatedCpu()
    {
        var env = Environment.GetEnvironmentVariable("ACTIVATIONS_CPU_DEVICE");
        if (!string.IsNullOrWhiteSpace(env))
        {
            var parts = env.Split(',').Select(s => int.TryParse(s, out var v) ? v : -1).ToArray();
            if (parts.Length != 3 || parts[0] < 2 || parts[1] < 1 || parts[2] < 1)
                throw new DeviceUnavailableException(
                    $"ACTIVATIONS_CPU_DEVICE='{env}' is invalid: expected threadsPerWarp(>=2),warpsPerMultiprocessor,multiprocessors");
            return new CPUDevice(parts[0], parts[1], parts[2]);
        }
        return new CPUDevice(4, 1, Math.Max(1, Environment.ProcessorCount));
    }

    private static Context CreateContext() => TerminationSignals.Keep(() =>
        Context.Create(b => b.CPU(SimulatedCpu()).Cuda().OpenCL().EnableAlgorithms().EnableFusedMultiplyAdd().EnablePoolRuns().Optimize(OptimizationLevel.O2)));

    /// <summary>Every accelerator found, with whether our kernels can run on it.</summary>
    public static IReadOnlyList<DeviceInfo> List()
    {
        using var context = CreateContext();
        var list = new List<DeviceInfo>();
        int cuda = 0, cl = 0;
        foreach (var d in context)
        {
            switch (d)
            {
                case CudaDevice:
                    list.Add(Info(d, $"cuda:{cuda++}", BackendKind.Cuda, true, ""));
                    break;
                case CLDevice c:
                    bool ok = c.Capabilities.GenericAddressSpace;
                    list.Add(Info(d, $"opencl:{cl++}", BackendKind.OpenCL, ok,
                        ok ? $"{c.PlatformName}, {c.DeviceType}" : $"{c.PlatformName}: no generic address space (ILGPU cannot load kernels)"));
                    break;
                case CPUDevice:
                    list.Add(Info(d, "cpu", BackendKind.Cpu, true, "ILGPU CPU accelerator (simulator: one OS thread per GPU thread)"));
                    break;
            }
        }
        return list;
    }

    private static DeviceInfo Info(ILGPU.Runtime.Device d, string key, BackendKind kind, bool usable, string note) =>
        new(key, kind, d.Name, d.MemorySize, d.WarpSize, d.MaxNumThreadsPerGroup, d.NumMultiprocessors, usable, note);

    /// <summary>Opens the accelerator named by <paramref name="spec"/> (cpu, cuda, opencl, auto; optional ":index").</summary>
    public static Device Create(string spec = "auto")
    {
        string s = (spec ?? "auto").Trim().ToLowerInvariant();
        string kind = s;
        int index = -1;
        int colon = s.IndexOf(':');
        if (colon >= 0)
        {
            kind = s[..colon];
            if (!int.TryParse(s[(colon + 1)..], out index) || index < 0)
                throw new DeviceUnavailableException($"invalid device '{spec}': expected cpu, cuda[:N], opencl[:N] or auto");
        }
        if (kind is not ("cpu" or "cuda" or "opencl" or "auto"))
            throw new DeviceUnavailableException($"unknown device '{spec}': expected cpu, cuda[:N], opencl[:N] or auto");

        var context = CreateContext();
        try
        {
            var cudaDevices = new List<CudaDevice>();
            foreach (var d in context.GetCudaDevices()) cudaDevices.Add(d);
            var clDevices = new List<CLDevice>();
            foreach (var d in context.GetCLDevices()) clDevices.Add(d);
            var usableCl = clDevices.Where(c => c.Capabilities.GenericAddressSpace).ToList();
            ILGPU.Runtime.Device? chosen = kind switch
            {
                "cpu" => context.GetCPUDevice(0),
                "cuda" => index < 0 ? cudaDevices.FirstOrDefault() : cudaDevices.ElementAtOrDefault(index),
                "opencl" => index < 0 ? usableCl.FirstOrDefault() : clDevices.ElementAtOrDefault(index),
                _ => (ILGPU.Runtime.Device?)cudaDevices.FirstOrDefault() ?? (ILGPU.Runtime.Device?)usableCl.FirstOrDefault() ?? context.GetCPUDevice(0),
            };
            if (chosen is CLDevice cl && !cl.Capabilities.GenericAddressSpace)
                throw new DeviceUnavailableException(
                    $"OpenCL device '{cl.Name}' lacks the generic address space ILGPU needs; available: {Available(context)}");
            if (chosen is null)
                throw new DeviceUnavailableException($"no usable {kind} device{(index >= 0 ? $" #{index}" : "")}; available: {Available(context)}");
            string key = chosen switch
            {
                CudaDevice => $"cuda:{cudaDevices.IndexOf((CudaDevice)chosen)}",
                CLDevice => $"opencl:{clDevices.IndexOf((CLDevice)chosen)}",
                _ => "cpu",
            };
            var accelerator = chosen.CreateAccelerator(context);
            return new Device(context, accelerator, key);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    private static string Available(Context context)
    {
        var names = new List<string>();
        int i = 0;
        foreach (var d in context.GetCudaDevices()) names.Add($"cuda:{i++} ({d.Name})");
        i = 0;
        foreach (var d in context.GetCLDevices())
            names.Add($"opencl:{i++} ({d.Name}{(d.Capabilities.GenericAddressSpace ? "" : ", unusable: no generic address space")})");
        names.Add("cpu (ILGPU CPU accelerator)");
        return string.Join(", ", names);
    }

    /// <summary>Waits for every launched kernel and copy to finish.</summary>
    public void Synchronize()
    {
        ThrowIfDisposed();
        Accelerator.Synchronize();
    }

    internal void ThrowIfDisposed()
    {
        if (_disposed) throw new ObjectDisposedException($"device {Key}", "the device was disposed; create a new one");
    }

    public bool IsDisposed => _disposed;

    public override string ToString() => $"{Key} ({Name})";

    /// <summary>Releases every pooled buffer, the accelerator and the context.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try { Accelerator.Synchronize(); } catch (Exception) { /* disposing anyway */ }
        Pool.Dispose();
        Accelerator.Dispose();
        Context.Dispose();
    }
}
