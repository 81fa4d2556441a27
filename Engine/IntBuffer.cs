// int32 device buffers: class labels and argmax indices (of max and max-pool). They are neither
// float nor differentiable, so they are not Tensors. The memory comes from the device's buffer
// pool (4-byte elements viewed as int), so a training step that makes the same buffers every
// iteration allocates nothing after the first, as for tensors.
using ILGPU;
using ILGPU.Runtime;

namespace Activations.Engine;

/// <summary>A device buffer of int32 (labels, argmax indices).</summary>
public sealed class IntBuffer : IDisposable
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _buffer; // pooled; viewed as int
    private readonly int _offset;
    private readonly IntBuffer? _parent; // set on views made by Slice: they own no memory
    private readonly Device? _device;    // set on buffers that own memory: counted in Device.LiveIntBuffers
    private bool _disposed;

    public int Length { get; }
    public bool IsDisposed => _disposed || (_parent?.IsDisposed ?? false);

    public IntBuffer(Device device, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        device.ThrowIfDisposed();
        Length = length;
        _buffer = device.Pool.Rent(length);
        _device = device;
        Interlocked.Increment(ref device.LiveIntBufferCount);
    }

    private IntBuffer(IntBuffer parent, int offset, int length)
    {
        _buffer = parent._buffer;
        _parent = parent;
        _offset = parent._offset + offset;
        Length = length;
    }

    public ArrayView<int> View
    {
        get
        {
            ArrayView<float> all = _buffer.View;
            return all.SubView(_offset, Length).Cast<int>();
        }
    }

    /// <summary>
    /// Elements [<paramref name="start"/>, start + <paramref name="count"/>) as a view (no copy): the
    /// labels of one batch cut from an epoch's upload. The view owns no memory and is valid while
    /// this buffer is; disposing it frees nothing.
    /// </summary>
    public IntBuffer Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start > Length - count)
            throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {start + count}) is outside an int buffer of {Length}");
        return new IntBuffer(this, start, count);
    }

    /// <summary>A buffer holding <paramref name="values"/> (class labels, for instance).</summary>
    public static IntBuffer FromArray(Device device, ReadOnlySpan<int> values)
    {
        var b = new IntBuffer(device, values.Length);
        b.CopyFrom(values);
        return b;
    }

    /// <summary>Overwrites the contents from the host (reuse one buffer for every batch of labels).</summary>
    public void CopyFrom(ReadOnlySpan<int> values)
    {
        if (values.Length != Length)
            throw new ArgumentException($"cannot copy {values.Length} values into an int buffer of {Length}");
        if (Length > 0) View.CopyFromCPU(values.ToArray());
    }

    public int[] ToArray()
    {
        var a = new int[Length];
        if (Length > 0) View.CopyToCPU(a.AsSpan());
        return a;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_device is null) return;
        Interlocked.Decrement(ref _device.LiveIntBufferCount);
        if (!_device.IsDisposed) _device.Pool.Return(_buffer, Length);
    }
}
