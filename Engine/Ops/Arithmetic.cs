// Elementwise arithmetic with NumPy broadcasting, scalar ops and unary maps; forward and backward
// of each side by side. Gradients of a broadcast operand are summed back to its shape (SumTo).
using Activations.Kernels;
using Activations.Kernels.Tensor;

namespace Activations.Engine;

public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Mul(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => Div(a, b);
    public static Tensor operator +(Tensor a, float s) => a.Affine(1f, s, "add_scalar");
    public static Tensor operator -(Tensor a, float s) => a.Affine(1f, -s, "sub_scalar");
    public static Tensor operator *(Tensor a, float s) => a.Affine(s, 0f, "mul_scalar");
    public static Tensor operator *(float s, Tensor a) => a.Affine(s, 0f, "mul_scalar");
    public static Tensor operator /(Tensor a, float s) => a.Affine(1f / s, 0f, "div_scalar");
    public static Tensor operator -(Tensor a) => a.Affine(-1f, 0f, "neg");

    /// <summary>z = a + b (broadcast). ∂a = SumTo(g), ∂b = SumTo(g).</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        var z = Binary<AddOp>(a, b);
        return z.Record("add", [a, b], g =>
        {
            a.AccumulateReduced(g, negate: false);
            b.AccumulateReduced(g, negate: false);
        });
    }

    /// <summary>z = a − b (broadcast). ∂a = SumTo(g), ∂b = −SumTo(g).</summary>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        var z = Binary<SubOp>(a, b);
        return z.Record("sub", [a, b], g =>
        {
            a.AccumulateReduced(g, negate: false);
            b.AccumulateReduced(g, negate: true);
        });
    }

    /// <summary>z = a·b (broadcast). ∂a = SumTo(g·b), ∂b = SumTo(g·a).</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        var z = Binary<MulOp>(a, b);
        return z.Record("mul", [a, b], g =>
        {
            if (a.RequiresGrad) { using var ga = Binary<MulOp>(g, b); a.AccumulateReduced(ga, negate: false); }
            if (b.RequiresGrad) { using var gb = Binary<MulOp>(g, a); b.AccumulateReduced(gb, negate: false); }
        }, a, b);
    }

    /// <summary>z = a / b (broadcast). ∂a = SumTo(g / b), ∂b = −SumTo(g·z / b).</summary>
    public static Tensor Div(Tensor a, Tensor b)
    {
        var z = Binary<DivOp>(a, b);
        return z.Record("div", [a, b], g =>
        {
            if (a.RequiresGrad) { using var ga = Binary<DivOp>(g, b); a.AccumulateReduced(ga, negate: false); }
            if (b.RequiresGrad)
            {
                using var gz = Binary<MulOp>(g, z);
                using var gb = Binary<DivOp>(gz, b);
                b.AccumulateReduced(gb, negate: true);
            }
        }, b, z);
    }

    /// <summary>
    /// this += scale·x in place, outside autograd: for running sums (a loss summed over an epoch on the
    /// device) and gradient accumulation. <paramref name="x"/> must hold as many elements as this.
    /// </summary>
    public void AddScaledInPlace(Tensor x, float scale = 1f)
    {
        ThrowIfDisposed();
        x.ThrowIfDisposed();
        if (x.Length != Length)
            throw new ArgumentException($"cannot add {x.Describe()} into {Describe()}: the element counts differ");
        Device.Kernels.Get<AffineKernels>().Axpy(x.View, View, scale);
    }

    /// <summary>y = scale·x + shift. ∂x = scale·g.</summary>
    public Tensor Affine(float scale, float shift, string op = "affine")
    {
        ThrowIfDisposed();
        var y = new Tensor(Device, Shape);
        Device.Kernels.Get<AffineKernels>().Affine(View, y.View, scale, shift);
        var x = this;
        return y.Record(op, [this], g => x.AccumulateScaledGrad(g, scale, owned: false));
    }

    /// <summary>eˣ. ∂x = g·y.</summary>
    public Tensor Exp()
    {
        var y = Unary<ExpOp>(this);
        var x = this;
        return y.Record("exp", [this], g => x.AccumulateGrad(Binary<MulOp>(g, y), owned: true), y);
    }

    /// <summary>ln x. ∂x = g / x.</summary>
    public Tensor Log()
    {
        var y = Unary<LogOp>(this);
        var x = this;
        return y.Record("log", [this], g => x.AccumulateGrad(Binary<DivOp>(g, x), owned: true), x);
    }

    /// <summary>√x. ∂x = g / (2y).</summary>
    public Tensor Sqrt()
    {
        var y = Unary<SqrtOp>(this);
        var x = this;
        return y.Record("sqrt", [this], g => x.AccumulateScaledGrad(Binary<DivOp>(g, y), 0.5f, owned: true), y);
    }

    /// <summary>x². ∂x = 2x·g.</summary>
    public Tensor Square()
    {
        var y = Unary<SquareOp>(this);
        var x = this;
        return y.Record("square", [this], g => x.AccumulateScaledGrad(Binary<MulOp>(g, x), 2f, owned: true), x);
    }

    // ---- shared machinery ----

    internal static void SameDevice(Tensor a, Tensor b, string op)
    {
        a.ThrowIfDisposed();
        b.ThrowIfDisposed();
        if (!ReferenceEquals(a.Device, b.Device))
            throw new ArgumentException($"{op}: {a.Describe()} is on {a.Device.Key} but {b.Describe()} is on {b.Device.Key}");
    }

    /// <summary>The raw broadcast kernel launch, not recorded.</summary>
    public static Tensor Binary<TOp>(Tensor a, Tensor b) where TOp : struct, IBinaryOp
    {
        SameDevice(a, b, typeof(TOp).Name);
        var kernels = a.Device.Kernels.Get<BinaryKernels<TOp>>();
        if (a.Shape == b.Shape)
        {
            var same = new Tensor(a.Device, a.Shape);
            kernels.SameShape(a.View, b.View, same.View);
            return same;
        }
        var shape = Shape.Broadcast(a.Shape, b.Shape);
        if (shape.Rank > 4)
            throw new ArgumentException($"broadcasting supports up to 4 dimensions; got {a.Shape} and {b.Shape}");
        var z = new Tensor(a.Device, shape);
        kernels.Broadcast(a.View, b.View, z.View, Dims4(shape), Strides4(a.Shape, shape), Strides4(b.Shape, shape));
        return z;
    }

    public static Tensor Unary<TOp>(Tensor x) where TOp : struct, IUnaryOp
    {
        x.ThrowIfDisposed();
        var y = new Tensor(x.Device, x.Shape);
        x.Device.Kernels.Get<UnaryKernels<TOp>>().Map(x.View, y.View);
        return y;
    }

    private static Vec4i Dims4(Shape s)
    {
        Span<int> d = [1, 1, 1, 1];
        for (int i = 0; i < s.Rank; i++) d[4 - s.Rank + i] = s[i];
        return new Vec4i(d[0], d[1], d[2], d[3]);
    }

    /// <summary>Row-major strides of <paramref name="s"/> right-aligned to <paramref name="output"/>, 0 where broadcast.</summary>
    private static Vec4i Strides4(Shape s, Shape output)
    {
        Span<int> st = [0, 0, 0, 0];
        int stride = 1;
        for (int i = s.Rank - 1; i >= 0; i--)
        {
            int slot = 4 - s.Rank + i;
            st[slot] = s[i] == 1 && output[output.Rank - s.Rank + i] != 1 ? 0 : stride;
            stride *= s[i];
        }
        return new Vec4i(st[0], st[1], st[2], st[3]);
    }

    /// <summary>Accumulates g summed down to this tensor's (broadcast) shape, optionally negated.</summary>
    private void AccumulateReduced(Tensor g, bool negate)
    {
        if (!RequiresGrad) return;
        if (g.Shape == Shape && !negate)
        {
            AccumulateGrad(g, owned: false);
            return;
        }
        var reduced = SumTo(g, Shape);
        if (negate)
        {
            Device.Kernels.Get<AffineKernels>().Affine(reduced.View, reduced.View, -1f, 0f);
        }
        AccumulateGrad(reduced, owned: true);
    }

    /// <summary>Sums <paramref name="g"/> over the axes that were broadcast to reach its shape.</summary>
    internal static Tensor SumTo(Tensor g, Shape target)
    {
        if (g.Shape == target) return g.Copy();
        int lead = g.Rank - target.Rank;
        var axes = new List<int>();
        for (int i = 0; i < g.Rank; i++)
        {
            int td = i < lead ? 1 : target[i - lead];
            if (td == 1 && g.Shape[i] != 1) axes.Add(i);
        }
        var summed = ReduceSum(g, axes, 1f);
        var result = summed.ViewAs(target);
        summed.Dispose();
        return result;
    }
}
