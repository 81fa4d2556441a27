// Creating tensors: constants, host data, seeded random values; copies and reshaped views.
using Activations.Engine.Autograd;
using Activations.Kernels.Tensor;

namespace Activations.Engine;

public sealed partial class Tensor
{
    /// <summary>An uninitialised tensor (contents are whatever the pool held).</summary>
    public static Tensor Empty(Device device, Shape shape) => new(device, shape);

    public static Tensor Empty(Device device, params int[] shape) => new(device, new Shape(shape));

    public static Tensor Full(Device device, Shape shape, float value)
    {
        var t = new Tensor(device, shape);
        device.Kernels.Get<AffineKernels>().Fill(t.View, value);
        return t.Named("full");
    }

    public static Tensor Zeros(Device device, params int[] shape) => Full(device, new Shape(shape), 0f);
    public static Tensor Ones(Device device, params int[] shape) => Full(device, new Shape(shape), 1f);
    public static Tensor Full(Device device, float value, params int[] shape) => Full(device, new Shape(shape), value);

    /// <summary>A tensor holding <paramref name="data"/> (row-major) with the given shape.</summary>
    public static Tensor FromArray(Device device, float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        var s = shape.Length == 0 ? new Shape(data.Length) : new Shape(shape);
        if (s.Length != data.Length)
            throw new ArgumentException($"{data.Length} values do not fill shape {s} ({s.Length} elements)");
        var t = new Tensor(device, s);
        t.CopyFrom(data);
        return t;
    }

    /// <summary>Uniform values in [low, high), the same for a given seed on every accelerator.</summary>
    public static Tensor Uniform(Device device, Shape shape, float low, float high, ulong seed) =>
        FromArray(device, CounterRng.Uniform(seed, shape.Length, low, high), shape.ToArray());

    /// <summary>Normal values, the same for a given seed on every accelerator.</summary>
    public static Tensor Normal(Device device, Shape shape, float mean, float std, ulong seed) =>
        FromArray(device, CounterRng.Normal(seed, shape.Length, mean, std), shape.ToArray());

    /// <summary>A new tensor with a copy of this one's data (not recorded: use for gradients, states).</summary>
    public Tensor Copy()
    {
        ThrowIfDisposed();
        var t = new Tensor(Device, Shape);
        if (Length > 0) ILGPU.Runtime.ArrayViewExtensions.CopyTo(View, t.View);
        t.Name = Name;
        return t.Named("copy");
    }

    /// <summary>A view with another shape over the same storage (one dimension may be −1).</summary>
    public Tensor Reshape(params int[] shape)
    {
        ThrowIfDisposed();
        var dims = (int[])shape.Clone();
        int infer = Array.IndexOf(dims, -1);
        if (infer >= 0)
        {
            int known = 1;
            for (int i = 0; i < dims.Length; i++) if (i != infer) known *= dims[i];
            if (known == 0 || Length % known != 0)
                throw new ArgumentException($"cannot reshape {Describe()} to {Shape.Format(shape)}");
            dims[infer] = Length / known;
        }
        var s = new Shape(dims);
        if (s.Length != Length)
            throw new ArgumentException($"cannot reshape {Describe()} ({Length} elements) to {s} ({s.Length} elements)");
        var input = this;
        return ViewAs(s).Record("reshape", [this], g =>
        {
            var gv = g.ViewAs(input.Shape);
            input.AccumulateGrad(gv, owned: false);
            gv.Dispose();
        });
    }

    /// <summary>Flattens all axes from <paramref name="startAxis"/> on: (N, C, H, W) → (N, C·H·W).</summary>
    public Tensor Flatten(int startAxis = 1)
    {
        int a = Shape.Axis(startAxis);
        var dims = new int[a + 1];
        for (int i = 0; i < a; i++) dims[i] = Shape[i];
        dims[a] = Shape.Product(a, Rank);
        return Reshape(dims);
    }

    /// <summary>
    /// Rows [<paramref name="start"/>, start + <paramref name="count"/>) of axis 0 as a view over the
    /// same storage: no copy, no kernel. Made for data batches cut from one upload of an epoch, so it
    /// is not differentiable (a tensor that requires grad is refused).
    /// </summary>
    public Tensor Slice(int start, int count)
    {
        ThrowIfDisposed();
        if (Rank == 0) throw new ArgumentException($"cannot slice {Describe()}: it has no axis 0");
        if (start < 0 || count < 0 || start > Shape[0] - count)
            throw new ArgumentOutOfRangeException(nameof(start), $"rows [{start}, {start + count}) are outside axis 0 of {Describe()}");
        if (RequiresGrad && GradMode.IsEnabled)
            throw new InvalidOperationException($"Slice of {Describe()}, which requires grad: slices are views for data, not differentiable");
        var dims = Shape.ToArray();
        dims[0] = count;
        long rowLength = Shape.Product(1, Rank);
        return new Tensor(Device, new Shape(dims), _storage, _offset + start * rowLength).Named("slice");
    }
}
