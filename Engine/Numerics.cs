// Numerical health of tensors: non-finite detection (NaN/Inf), gradient norms and clipping.
// Training uses these to stop at the first NaN or Inf and name the parameter where it appeared.
using Activations.Kernels.Tensor;

namespace Activations.Engine;

public static class Numerics
{
    /// <summary>How many values of <paramref name="t"/> are NaN or ±Inf (one small device→host copy).</summary>
    public static int CountNonFinite(Tensor t)
    {
        t.ThrowIfDisposed();
        if (t.Length == 0) return 0;
        int chunks = CheckKernels.ChunksFor(t.Length);
        using var counts = new IntBuffer(t.Device, chunks);
        t.Device.Kernels.Get<CheckKernels>().NonFinite(t.View, counts.View);
        return counts.ToArray().Sum();
    }

    public static bool AllFinite(Tensor t) => CountNonFinite(t) == 0;

    /// <summary>The first (name, tensor) in order whose values or gradient are not all finite, or null.</summary>
    public static string? FirstNonFinite(IEnumerable<(string Name, Tensor Tensor)> tensors, bool gradients)
    {
        foreach (var (name, t) in tensors)
        {
            var target = gradients ? t.Grad : t;
            if (target is not null && CountNonFinite(target) > 0) return name;
        }
        return null;
    }

    /// <summary>√(Σ over tensors of Σ g²) of the gradients present; the sum stays on the device until one final read.</summary>
    public static double GradNorm(IEnumerable<Tensor> parameters)
    {
        using var _ = Autograd.GradMode.NoGrad();
        using var scope = TensorScope.Begin();
        Tensor? total = null;
        foreach (var p in parameters)
        {
            if (p.Grad is null) continue;
            var s = Tensor.ReduceSum(Tensor.Unary<SquareOp>(p.Grad), Enumerable.Range(0, p.Grad.Rank).ToList(), 1f).Reshape(1);
            total = total is null ? s : total + s;
        }
        return total is null ? 0 : Math.Sqrt(Math.Max(0, total.Item()));
    }

    /// <summary>
    /// Scales all gradients so that their global norm is at most <paramref name="maxNorm"/>
    /// (PyTorch's clip_grad_norm_); returns the norm before clipping.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), $"max gradient norm must be > 0; got {maxNorm}");
        var list = parameters.ToList();
        double norm = GradNorm(list);
        double scale = maxNorm / (norm + 1e-6);
        if (scale < 1)
        {
            foreach (var p in list)
            {
                if (p.Grad is null) continue;
                p.Device.Kernels.Get<AffineKernels>().Affine(p.Grad.View, p.Grad.View, (float)scale, 0f);
            }
        }
        return norm;
    }
}

/// <summary>
/// Watches a scalar (the training loss) step by step on the device: the first step at which it was
/// NaN or ±Inf is recorded there and read by the host only when asked (every few steps).
/// </summary>
public sealed class NonFiniteWatch : IDisposable
{
    private readonly IntBuffer _first;
    private readonly Device _device;

    public NonFiniteWatch(Device device)
    {
        _device = device;
        _first = new IntBuffer(device, 1);
        Reset();
    }

    /// <summary>Records <paramref name="step"/> if <paramref name="value"/>[0] is not finite and no step is recorded yet.</summary>
    public void Observe(Tensor value, int step)
    {
        value.ThrowIfDisposed();
        _device.Kernels.Get<CheckKernels>().MarkNonFinite(value.View, _first.View, step);
    }

    /// <summary>The first step observed non-finite, or null (one device→host copy).</summary>
    public int? FirstBadStep
    {
        get
        {
            int v = _first.ToArray()[0];
            return v >= 0 ? v : null;
        }
    }

    public void Reset() => _first.CopyFrom([-1]);

    public void Dispose() => _first.Dispose();
}
