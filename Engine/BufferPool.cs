// Device memory is recycled by exact length. A training step allocates the same shapes every
// iteration, so after the first step every allocation is a pool hit: no driver calls, and the
// memory in use stays flat across epochs.
using ILGPU;
using ILGPU.Runtime;

namespace Activations.Engine;

/// <summary>Counters of a device's buffer pool, in bytes.</summary>
public readonly record struct BufferPoolStats(long BytesInUse, long BytesPooled, long PeakBytes, long Allocations, long Hits);

/// <summary>Device memory could not be allocated.</summary>
public sealed class DeviceOutOfMemoryException(string message, Exception? inner) : Exception(message, inner);

internal sealed class BufferPool : IDisposable
{
    private readonly Device _device;
    private readonly Dictionary<long, Stack<MemoryBuffer1D<float, Stride1D.Dense>>> _free = new();
    private readonly object _lock = new();
    private long _inUse, _pooled, _peak, _allocations, _hits;

    public BufferPool(Device device) => _device = device;

    public BufferPoolStats Stats
    {
        get { lock (_lock) return new(_inUse, _pooled, _peak, _allocations, _hits); }
    }

    public MemoryBuffer1D<float, Stride1D.Dense> Rent(long length)
    {
        long bytes = length * sizeof(float);
        lock (_lock)
        {
            if (_free.TryGetValue(length, out var stack) && stack.Count > 0)
            {
                _hits++;
                _pooled -= bytes;
                _inUse += bytes;
                return stack.Pop();
            }
        }
        MemoryBuffer1D<float, Stride1D.Dense> buffer;
        try
        {
            buffer = _device.Accelerator.Allocate1D<float>(Math.Max(1, length));
        }
        catch (Exception e) when (e is OutOfMemoryException or AcceleratorException or InvalidOperationException)
        {
            Trim();
            try
            {
                buffer = _device.Accelerator.Allocate1D<float>(Math.Max(1, length));
            }
            catch (Exception e2) when (e2 is OutOfMemoryException or AcceleratorException or InvalidOperationException)
            {
                long free = Math.Max(0, _device.Accelerator.MemorySize - _inUse);
                throw new DeviceOutOfMemoryException(
                    $"out of device memory on {_device.Key}: asked for {Format(bytes)}, about {Format(free)} free of {Format(_device.Accelerator.MemorySize)}; try a smaller --batch",
                    e2);
            }
        }
        lock (_lock)
        {
            _allocations++;
            _inUse += bytes;
            _peak = Math.Max(_peak, _inUse);
        }
        return buffer;
    }

    public void Return(MemoryBuffer1D<float, Stride1D.Dense> buffer, long length)
    {
        long bytes = length * sizeof(float);
        lock (_lock)
        {
            _inUse -= bytes;
            if (_device.IsDisposed) { buffer.Dispose(); return; }
            if (!_free.TryGetValue(length, out var stack)) _free[length] = stack = new();
            stack.Push(buffer);
            _pooled += bytes;
        }
    }

    /// <summary>Frees every pooled (unused) buffer.</summary>
    public void Trim()
    {
        lock (_lock)
        {
            foreach (var stack in _free.Values)
                while (stack.Count > 0) stack.Pop().Dispose();
            _free.Clear();
            _pooled = 0;
        }
    }

    private static string Format(long bytes) => bytes >= 1 << 30 ? $"{bytes / (double)(1 << 30):F2} GiB" : $"{bytes / (double)(1 << 20):F1} MiB";

    public void Dispose() => Trim();
}
