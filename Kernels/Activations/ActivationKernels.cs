// One generic kernel body per direction, specialised per activation struct.
//
// Shapes: x, y, dy, d are flat views of n elements. The parameters live on the device (so a
// learned one never travels to the host), parameter-major: p[k·C + c] is parameter k of channel c,
// with C = 1 (one set per layer) or C channels. The element i belongs to channel (i / inner) % C,
// i.e. for NCHW data inner = H·W, for (N, features) data inner = 1 and C = features.
//
//   forward:      y[i] = f(x[i]; p[·, c])
//   backward:     d[i] = dy[i] · ∂f/∂x   (x[i], y[i]; p[·, c])
//   param-grad k: d[i] = dy[i] · ∂f/∂p_k (x[i], y[i]; p[·, c])   (then summed per channel by the caller)
//
// A derivative is the activation's hand-written one where it has one, else the forward run on dual
// numbers with x (or p_k) seeded: exact, and in the same kernel. `derived` forces the dual path
// (for the tests and benchmarks that compare the two). Which derivative and which path are
// compile-time constants (SpecializedValue): each use compiles to its own kernel with only its
// derivative in it.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace Activations.Kernels.Activations;

/// <summary>The forward/backward kernels of activation <typeparamref name="T"/> on one accelerator.</summary>
public sealed class ActivationKernels<T> : IKernelFamily<ActivationKernels<T>> where T : struct, IActivation
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>> _forward;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>> _derivative;
    private readonly Action<KernelConfig, ArrayView<Vec8f>, ArrayView<Vec8f>, ArrayView<float>, int, SpecializedValue<int>> _forwardWide;
    private readonly Action<KernelConfig, ArrayView<Vec8f>, ArrayView<Vec8f>, ArrayView<Vec8f>, ArrayView<Vec8f>, ArrayView<float>, int, SpecializedValue<int>, SpecializedValue<int>> _derivativeWide;

    /// <summary>How many parameters T has (a compile-time constant in the kernels).</summary>
    private static readonly int Count = T.Parameters.Count;

    private ActivationKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _forward = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>>(ForwardKernel);
        _derivative = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>>(DerivativeKernel);
        _forwardWide = accelerator.LoadStreamKernel<ArrayView<Vec8f>, ArrayView<Vec8f>, ArrayView<float>, int, SpecializedValue<int>>(ForwardWideKernel);
        _derivativeWide = accelerator.LoadStreamKernel<ArrayView<Vec8f>, ArrayView<Vec8f>, ArrayView<Vec8f>, ArrayView<Vec8f>, ArrayView<float>, int, SpecializedValue<int>, SpecializedValue<int>>(DerivativeWideKernel);
    }

    public static ActivationKernels<T> Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    /// <summary>
    /// The channel of element i. perLayer (a compile-time constant) is 1 for one set per layer: then
    /// no integer division is compiled at all (vectorised, a division per element is a scalar loop).
    /// </summary>
    private static int Channel(int i, int inner, int channels, int perLayer) =>
        perLayer != 0 ? 0 : i / inner % channels;

    /// <summary>The parameters of channel c (count is a compile-time constant; unused ones stay 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ActivationParameters<float> Load(ArrayView<float> p, int c, int channels, int count)
    {
        var r = default(ActivationParameters<float>);
        if (count > 0) r.P0 = p[c];
        if (count > 1) r.P1 = p[channels + c];
        if (count > 2) r.P2 = p[2 * channels + c];
        if (count > 3) r.P3 = p[3 * channels + c];
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float F(float x, ActivationParameters<float> p) => F(x, Real(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float F(float x, ActivationParameters<Real32> q) => T.Forward(x, q).Value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ActivationParameters<Real32> Real(ActivationParameters<float> p) => new() { P0 = p.P0, P1 = p.P1, P2 = p.P2, P3 = p.P3 };

    /// <summary>∂f/∂x (which = 0) or ∂f/∂p_{which−1}: hand-written where T has it and derived is 0, else by dual numbers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Slope(float x, float y, ActivationParameters<float> p, int which, int derived)
    {
        if (T.HasBackward && derived == 0)
            return which == 0 ? T.Backward(x, y, p) : T.ParamGrad(which - 1, x, y, p);
        var q = new ActivationParameters<Dual>
        {
            P0 = new Dual(p.P0, which == 1 ? 1f : 0f),
            P1 = new Dual(p.P1, which == 2 ? 1f : 0f),
            P2 = new Dual(p.P2, which == 3 ? 1f : 0f),
            P3 = new Dual(p.P3, which == 4 ? 1f : 0f),
        };
        return T.Forward(new Dual(x, which == 0 ? 1f : 0f), q).D;
    }

    // Each kernel: one element per work-item where oneItem is 1 (compiled without a loop, see
    // LaunchPlan.OneItem) or 2 (without the bounds test either: LaunchPlan.OneItemExact), else a
    // grid-stride loop; all call the same element function.

    /// <summary>y = f(x; p).</summary>
    private static void ForwardKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<float> p, int n, int inner, int channels,
        SpecializedValue<int> oneItem, SpecializedValue<int> perLayer, SpecializedValue<int> count)
    {
        if (oneItem.Value != 0)
        {
            int j = Grid.GlobalIndex.X;
            if (oneItem.Value == 2 || j < n) y[j] = F(x[j], Load(p, Channel(j, inner, channels, perLayer.Value), channels, count.Value));
            return;
        }
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
            y[i] = F(x[i], Load(p, Channel(i, inner, channels, perLayer.Value), channels, count.Value));
    }

    /// <summary>d = dy · ∂f/∂x (which = 0) or dy · ∂f/∂p_{which−1}, elementwise.</summary>
    private static void DerivativeKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> d,
        ArrayView<float> p, int n, int inner, int channels, SpecializedValue<int> oneItem,
        SpecializedValue<int> perLayer, SpecializedValue<int> count, SpecializedValue<int> whichAndDerived)
    {
        int which = whichAndDerived.Value >> 1, derived = whichAndDerived.Value & 1;
        if (oneItem.Value != 0)
        {
            int j = Grid.GlobalIndex.X;
            if (oneItem.Value == 2 || j < n) d[j] = dy[j] * Slope(x[j], y[j], Load(p, Channel(j, inner, channels, perLayer.Value), channels, count.Value), which, derived);
            return;
        }
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
            d[i] = dy[i] * Slope(x[i], y[i], Load(p, Channel(i, inner, channels, perLayer.Value), channels, count.Value), which, derived);
    }

    // On the CPU accelerator each view access costs a trip through ILGPU's accessor (see Vec8f), so
    // there each access moves 8 floats (one parameter set per layer only; the few elements past the
    // last multiple of 8 go through the kernels above). Eight activations inlined into ILGPU's small
    // CPU launcher overrun the .NET JIT's inlining budget and stay calls into unoptimised code, so the
    // 8-element forward and the derivative loop are methods of their own, compiled optimised at once
    // (a forward inlines whole only outside the loop, a hand-written derivative only inside one).

    /// <summary>y = f(x; p) for 8 elements per access.</summary>
    private static void ForwardWideKernel(ArrayView<Vec8f> x, ArrayView<Vec8f> y, ArrayView<float> p, int n8, SpecializedValue<int> count)
    {
        var a = Real(Load(p, 0, 1, count.Value));
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n8; i += stride)
            y[i] = Forward8(x[i], a);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vec8f Forward8(Vec8f v, ActivationParameters<Real32> a)
    {
        Vec8f r;
        r.V0 = F(v.V0, a); r.V1 = F(v.V1, a); r.V2 = F(v.V2, a); r.V3 = F(v.V3, a);
        r.V4 = F(v.V4, a); r.V5 = F(v.V5, a); r.V6 = F(v.V6, a); r.V7 = F(v.V7, a);
        return r;
    }

    /// <summary>As <see cref="DerivativeKernel"/> for 8 elements per access.</summary>
    private static void DerivativeWideKernel(ArrayView<Vec8f> x, ArrayView<Vec8f> y, ArrayView<Vec8f> dy, ArrayView<Vec8f> d,
        ArrayView<float> p, int n8, SpecializedValue<int> count, SpecializedValue<int> whichAndDerived)
    {
        var a = Load(p, 0, 1, count.Value);
        int w = whichAndDerived.Value >> 1;
        if ((whichAndDerived.Value & 1) != 0) DerivativeWide<ByDuals>(x, y, dy, d, a, n8, w);
        else DerivativeWide<HandWritten>(x, y, dy, d, a, n8, w);
    }

    /// <summary>Which derivative a <see cref="DerivativeWide{TPath}"/> compiles: a type, so that each is compiled with only its own path.</summary>
    private interface IDerivativePath
    {
        static abstract int Derived { get; }
    }

    private readonly struct HandWritten : IDerivativePath
    {
        public static int Derived => 0;
    }

    private readonly struct ByDuals : IDerivativePath
    {
        public static int Derived => 1;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void DerivativeWide<TPath>(ArrayView<Vec8f> x, ArrayView<Vec8f> y, ArrayView<Vec8f> dy, ArrayView<Vec8f> d,
        ActivationParameters<float> a, int n8, int w) where TPath : struct, IDerivativePath
    {
        int f = TPath.Derived;
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n8; i += stride)
        {
            Vec8f u = x[i], v = y[i], g = dy[i], r;
            r.V0 = g.V0 * Slope(u.V0, v.V0, a, w, f); r.V1 = g.V1 * Slope(u.V1, v.V1, a, w, f);
            r.V2 = g.V2 * Slope(u.V2, v.V2, a, w, f); r.V3 = g.V3 * Slope(u.V3, v.V3, a, w, f);
            r.V4 = g.V4 * Slope(u.V4, v.V4, a, w, f); r.V5 = g.V5 * Slope(u.V5, v.V5, a, w, f);
            r.V6 = g.V6 * Slope(u.V6, v.V6, a, w, f); r.V7 = g.V7 * Slope(u.V7, v.V7, a, w, f);
            d[i] = r;
        }
    }

    /// <summary>The number of channels of a parameter view: its length over the parameter count (1 without parameters).</summary>
    private static int Channels(ArrayView<float> p)
    {
        if (Count == 0) return 1;
        if (p.Length % Count != 0 || p.Length == 0)
            throw new ArgumentException($"{T.Name}: {Count} parameters need a multiple of {Count} values; got {p.Length}");
        return (int)(p.Length / Count);
    }

    /// <summary>
    /// How many leading elements the wide kernels take: a multiple of 8 on the CPU accelerator with one
    /// parameter set, else 0; and 0 where a view starts inside a Vec8f (Cast would round its start
    /// down: the engine's per-parameter slices of one buffer do).
    /// </summary>
    private int WidePart(int n, int channels, params ArrayView<float>[] views) =>
        _plan.Kind == BackendKind.Cpu && channels == 1 && views.All(v => ((IContiguousArrayView)v).IndexInBytes % 32 == 0) ? n / 8 * 8 : 0;

    public void Forward(ArrayView<float> x, ArrayView<float> y, ArrayView<float> p, int inner = 1)
    {
        int channels = Channels(p), n = (int)x.Length, w = WidePart(n, channels, x, y), e = ExactPart(n - w, channels);
        var count = SpecializedValue.New(Count);
        var perLayer = SpecializedValue.New(channels == 1 ? 1 : 0);
        if (w > 0) _forwardWide(_plan.GridStride(w / 8), x.SubView(0, w).Cast<Vec8f>(), y.SubView(0, w).Cast<Vec8f>(), p, w / 8, count);
        if (e > 0) _forward(_plan.GridStride(e), x.SubView(w, e), y.SubView(w, e), p, e, inner, channels, _plan.OneItemExact, perLayer, count);
        int s = w + e;
        if (n > s) _forward(_plan.GridStride(n - s), x.SubView(s), y.SubView(s), p, n - s, inner, channels, _plan.OneItem, perLayer, count);
    }

    /// <summary>
    /// How many elements after the wide part run in whole groups without a bounds test (OpenCL, one
    /// parameter set: with one per channel, a second launch would start its channel count at the wrong element).
    /// </summary>
    private int ExactPart(int n, int channels) => channels == 1 ? _plan.ExactPart(n) : 0;

    /// <summary>dx = dy · ∂f/∂x; <paramref name="derived"/> forces the dual-number derivative even where T has a hand-written one.</summary>
    public void Backward(ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx,
        ArrayView<float> p, int inner = 1, bool derived = false) => Derivative(x, y, dy, dx, p, inner, 0, derived);

    /// <summary>g = dy · ∂f/∂p_k elementwise (summed per channel by the caller).</summary>
    public void ParamGrad(int k, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> g,
        ArrayView<float> p, int inner = 1, bool derived = false)
    {
        if ((uint)k >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(k), $"{T.Name} has {Count} parameters; asked for the gradient of parameter {k}");
        Derivative(x, y, dy, g, p, inner, k + 1, derived);
    }

    private void Derivative(ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> d,
        ArrayView<float> p, int inner, int which, bool derived)
    {
        int channels = Channels(p), n = (int)x.Length, w = WidePart(n, channels, x, y, dy, d), e = ExactPart(n - w, channels);
        var count = SpecializedValue.New(Count);
        var perLayer = SpecializedValue.New(channels == 1 ? 1 : 0);
        var mode = SpecializedValue.New(which << 1 | (derived || !T.HasBackward ? 1 : 0));
        if (w > 0)
            _derivativeWide(_plan.GridStride(w / 8), x.SubView(0, w).Cast<Vec8f>(), y.SubView(0, w).Cast<Vec8f>(),
                dy.SubView(0, w).Cast<Vec8f>(), d.SubView(0, w).Cast<Vec8f>(), p, w / 8, count, mode);
        if (e > 0)
            _derivative(_plan.GridStride(e), x.SubView(w, e), y.SubView(w, e), dy.SubView(w, e), d.SubView(w, e), p, e, inner,
                channels, _plan.OneItemExact, perLayer, count, mode);
        int s = w + e;
        if (n > s)
            _derivative(_plan.GridStride(n - s), x.SubView(s), y.SubView(s), dy.SubView(s), d.SubView(s), p, n - s, inner,
                channels, _plan.OneItem, perLayer, count, mode);
    }
}
