// The cases every kernel family is checked with against its scalar reference (Kernels/…): one list,
// used by the tests on every accelerator present and by `activations verify --device X` on machines
// without the .NET SDK. A case returns null when the kernels agree, else the first disagreement
// (what, index and both values).
using Activations.Engine.Optim;
using Activations.Kernels;
using Activations.Kernels.Conv;
using Activations.Kernels.Loss;
using Activations.Kernels.MatMul;
using Activations.Kernels.Optim;
using Activations.Kernels.Pool;
using Activations.Kernels.Tensor;

namespace Activations.Engine.Verification;

/// <summary>One check of one kernel family: <see cref="Run"/> gives null when it agrees with the reference, else what disagreed.</summary>
public sealed record KernelCase(string Family, string Name, Func<Device, string?> Run)
{
    public override string ToString() => $"{Family}: {Name}";
}

/// <summary>A matmul problem: C (M, N) = op(A)·op(B) (+ bias over rows) (+ the old C).</summary>
public readonly record struct MatMulShape(int M, int N, int K, bool TransposeA, bool TransposeB, bool Bias = false, bool Accumulate = false)
{
    public override string ToString() =>
        $"{(TransposeA ? "Aᵀ" : "A")}·{(TransposeB ? "Bᵀ" : "B")} {M}×{N}×{K}{(Bias ? " +bias" : "")}{(Accumulate ? " +=C" : "")}";
}

/// <summary>conv2d of (N, C, Size, Size) with COut K×K filters.</summary>
public readonly record struct ConvShape(int N, int C, int Size, int COut, int K, int Stride, int Pad)
{
    public int Out => (Size + 2 * Pad - K) / Stride + 1;
    public override string ToString() => $"{N}×{C}×{Size}² → {COut}, k{K} s{Stride} p{Pad}";
}

/// <summary>A square window (pooling, im2col) over (N, C, H, W).</summary>
public readonly record struct WindowShape(int N, int C, int H, int W, int K, int Stride, int Pad)
{
    public ConvGeometry Geometry => new(N, C, H, W, K, K, Stride, Pad);
    public override string ToString() => $"{N}×{C}×{H}×{W}, k{K} s{Stride} p{Pad}";
}

public static class KernelCases
{
    /// <summary>The three layouts (and Aᵀ·Bᵀ), partial tiles, fused bias and accumulation, K = 0, and sizes above the 64×64 tile.</summary>
    public static readonly MatMulShape[] MatMulShapes =
    [
        new(1, 1, 1, false, false),
        new(17, 33, 65, false, false), new(17, 33, 65, true, false), new(17, 33, 65, false, true), new(17, 33, 65, true, true),
        new(64, 128, 784, false, true, Bias: true),     // forward of Linear(784, 128)
        new(64, 784, 128, false, false),                // ∂x = g·W
        new(128, 784, 64, true, false),                 // ∂W = gᵀ·x
        new(5, 70, 3, false, false, Bias: true, Accumulate: true),
        new(66, 9, 20, true, true, Accumulate: true),
        new(3, 4, 0, false, false, Bias: true),         // empty inner dimension: C = bias
        new(131, 67, 97, false, false, Bias: true), new(131, 67, 97, true, false, Accumulate: true),
        new(131, 67, 97, false, true, Bias: true, Accumulate: true),
    ];

    /// <summary>Odd and even sizes, strides 1 and 2, padding 0-2, 1×1 to 5×5 filters.</summary>
    public static readonly ConvShape[] ConvShapes =
    [
        new(1, 1, 5, 2, 3, 1, 1), new(3, 3, 7, 4, 3, 2, 1), new(1, 5, 6, 3, 5, 1, 2),
        new(3, 1, 9, 2, 1, 2, 0), new(1, 3, 8, 2, 5, 2, 2), new(3, 5, 5, 3, 3, 1, 0),
        // Taken by the direct kernels where they run (ConvDirectKernels.Takes): a part-filled panel of
        // output channels, two panels, an output row of 10 (its second run of 8 overlaps the first).
        new(2, 3, 12, 6, 5, 1, 0), new(1, 2, 10, 9, 3, 1, 0), new(1, 2, 12, 3, 3, 1, 0),
        new(2, 2, 8, 9, 3, 1, 1),   // with padding: y, ∂x and ∂w from a zero-padded copy of x
    ];

    public static readonly WindowShape[] Im2ColShapes =
    [
        new(1, 1, 5, 5, 3, 1, 1), new(3, 5, 7, 6, 5, 2, 2), new(2, 3, 9, 9, 1, 2, 0), new(1, 2, 4, 7, 3, 3, 0),
    ];

    /// <summary>Disjoint, padded, overlapping (stride &lt; kernel) and uncovered-edge windows.</summary>
    public static readonly WindowShape[] PoolShapes =
    [
        new(1, 1, 4, 4, 2, 2, 0), new(3, 5, 7, 5, 3, 2, 1), new(2, 3, 6, 6, 3, 1, 1), new(1, 2, 5, 9, 2, 3, 0),
    ];

    /// <summary>Every case of every family, in family order.</summary>
    public static IReadOnlyList<KernelCase> All { get; } = [.. Build()];

    private static IEnumerable<KernelCase> Build()
    {
        foreach (var alg in Enum.GetValues<MatMulAlgorithm>())
            foreach (var s in MatMulShapes)
                yield return new("matmul", $"{alg} {s}", d => MatMul(d, alg, s));
        foreach (var s in Im2ColShapes) yield return new("conv", $"im2col/col2im {s}", d => Im2Col(d, s));
        foreach (var s in ConvShapes) yield return new("conv", $"conv2d forward/backward {s}", d => Conv2d(d, s));
        foreach (var s in ConvShapes.Where(s => ConvDirectKernels.Takes(new ConvGeometry(s.N, s.C, s.Size, s.Size, s.K, s.K, s.Stride, s.Pad))))
            yield return new("conv", $"direct conv forward/input/weights {s}", d => ConvDirect(d, s));
        foreach (var s in PoolShapes)
        {
            yield return new("pool", $"max forward/backward {s}", d => Pool(d, s, max: true));
            yield return new("pool", $"avg forward/backward {s}", d => Pool(d, s, max: false));
        }
        foreach (var (n, classes, smoothing, scale) in new[] { (5, 7, 0f, 3f), (64, 10, 0.1f, 3f), (3, 1, 0f, 3f), (6, 4, 0.2f, 1e4f) })
            yield return new("loss", $"softmax cross-entropy {n}×{classes} smoothing {smoothing} logits ±{scale}",
                d => SoftmaxCrossEntropy(d, n, classes, smoothing, scale));
        yield return new("loss", "correct count 100×10 with a tie", CorrectCount);
        yield return new("optim", "SGD", d => Optimizer(d, p => new Sgd(p, 0.1f),
            (p, g, m, v, t) => OptimizerReference.Sgd(p, g, m, t, 0.1, 0, 0, 0, false)));
        yield return new("optim", "SGD momentum, dampening, weight decay", d => Optimizer(d,
            p => new Sgd(p, 0.05f, momentum: 0.9f, dampening: 0.1f, weightDecay: 1e-2f),
            (p, g, m, v, t) => OptimizerReference.Sgd(p, g, m, t, 0.05, 0.9, 0.1, 1e-2, false)));
        yield return new("optim", "SGD Nesterov", d => Optimizer(d,
            p => new Sgd(p, 0.05f, momentum: 0.9f, weightDecay: 5e-4f, nesterov: true),
            (p, g, m, v, t) => OptimizerReference.Sgd(p, g, m, t, 0.05, 0.9, 0, 5e-4, true)));
        yield return new("optim", "Adam with L2", d => Optimizer(d, p => new Adam(p, 1e-2f, weightDecay: 1e-2f),
            (p, g, m, v, t) => OptimizerReference.Adam(p, g, m, v, t, 1e-2, 0.9, 0.999, 1e-8, 1e-2, false)));
        yield return new("optim", "AdamW", d => Optimizer(d, p => Adam.AdamW(p, 3e-3f, beta1: 0.8f, beta2: 0.99f, weightDecay: 0.1f),
            (p, g, m, v, t) => OptimizerReference.Adam(p, g, m, v, t, 3e-3, 0.8, 0.99, 1e-8, 0.1, true)));
        foreach (var (p, seed) in new[] { (0.3f, 42UL), (0.5f, 7UL), (0.9f, 1234567UL) })
            yield return new("dropout", $"seeded mask p={p} seed={seed}, bit-identical to the CPU's", d => Dropout(d, p, seed));
        foreach (var (b, r, c) in new[] { (2, 7, 5), (3, 65, 33), (1, 1, 9) })
            yield return new("transpose", $"swap last axes ({b},{r},{c}) forward/backward", d => SwapAxes(d, b, r, c));
        foreach (var axes in new[] { new[] { 1 }, [0, 2], [2], [] })
            yield return new("reduce", $"sum (3,1000,7) over [{string.Join(",", axes)}]", d => Sum(d, [3, 1000, 7], axes, Tolerances.SumRel));
        yield return new("reduce", "sum of 1M (chunked)", d => Sum(d, [1 << 20], [], Tolerances.LongSumRel));
        foreach (var axis in new[] { 0, 1, 2 })
            yield return new("reduce", $"max/argmax (4,37,9) along {axis}, NaN propagates", d => Max(d, axis));
        yield return new("elementwise", "add same-shape and broadcast (37,1,5)∘(4,1)", Binary<AddOp>);
        yield return new("elementwise", "sub same-shape and broadcast (37,1,5)∘(4,1)", Binary<SubOp>);
        yield return new("elementwise", "mul same-shape and broadcast (37,1,5)∘(4,1)", Binary<MulOp>);
        yield return new("elementwise", "div same-shape and broadcast (37,1,5)∘(4,1)", Binary<DivOp>);
        yield return new("elementwise", "exp", d => Unary<ExpOp>(d, -8f, 8f, transcendental: true));
        yield return new("elementwise", "log", d => Unary<LogOp>(d, 1e-3f, 100f, transcendental: true));
        yield return new("elementwise", "sqrt", d => Unary<SqrtOp>(d, 0f, 100f, transcendental: true));
        yield return new("elementwise", "square", d => Unary<SquareOp>(d, -8f, 8f, transcendental: false));
        yield return new("elementwise", "affine 2.5·x − 0.75", Affine);
        yield return new("elementwise", "clamp-min projection (learnable α), NaN kept", ClampMin);
        yield return new("checks", "non-finite count", NonFiniteCount);
        yield return new("checks", "first non-finite step (loss watch)", NonFiniteStep);
    }

    private static string? Diff(string what, float[] got, double[] want, double rel, double abs) =>
        Tolerances.FirstMismatch(got, want, rel, abs) is { } m ? $"{what} {m}" : null;

    private static double[] Doubles(float[] x) => Array.ConvertAll(x, v => (double)v);

    /// <summary>
    /// One matmul kernel on seeded data against <see cref="MatMulReference"/>: every entry, or
    /// <paramref name="samples"/> seeded ones (large sizes on the CPU simulator). <paramref name="kernels"/>:
    /// loaded with another launch plan (default: the device's).
    /// </summary>
    public static string? MatMul(Device d, MatMulAlgorithm algorithm, MatMulShape s, int samples = 0, MatMulKernels? kernels = null)
    {
        var (m, n, k) = (s.M, s.N, s.K);
        kernels ??= d.Kernels.Get<MatMulKernels>();
        using var scope = TensorScope.Begin();
        ulong seed = (ulong)(m * 7919 + n * 104729 + k * 31 + (s.TransposeA ? 1 : 0) + (s.TransposeB ? 2 : 0));
        var ha = CounterRng.Uniform(seed, m * k, -1f, 1f);
        var hb = CounterRng.Uniform(seed + 1, k * n, -1f, 1f);
        var hbias = s.Bias ? CounterRng.Uniform(seed + 2, n, -1f, 1f) : [];
        var hc = s.Accumulate ? CounterRng.Uniform(seed + 3, m * n, -1f, 1f) : [];
        var a = Tensor.FromArray(d, ha);
        var b = Tensor.FromArray(d, hb);
        var c = s.Accumulate ? Tensor.FromArray(d, hc) : Tensor.Full(d, new Shape(m * n), float.NaN);
        var bias = s.Bias ? Tensor.FromArray(d, hbias).View : default;
        kernels.MatMul(algorithm, a.View, b.View, c.View, m, n, k, s.TransposeA, s.TransposeB, bias, s.Accumulate);
        var got = c.ToArray();
        var rng = new Random(1);
        int count = samples > 0 ? samples : m * n;
        for (int t = 0; t < count; t++)
        {
            int at = samples > 0 ? rng.Next(m * n) : t;
            int i = at / n, j = at % n;
            var (value, scale) = MatMulReference.Entry(ha, hb, m, n, k, s.TransposeA, s.TransposeB, i, j);
            if (s.Bias) value += hbias[j];
            if (s.Accumulate) value += hc[at];
            double allowed = Tolerances.MatMulRel * (scale + 1) + Tolerances.MatMulAbs;
            if (!(Math.Abs(got[at] - value) <= allowed)) return $"C[{i},{j}] {new Mismatch(at, got[at], value, allowed)}";
        }
        return null;
    }

    /// <summary>im2col (plain and packed) and col2im against their references; null when they match.</summary>
    public static string? Im2Col(Device d, WindowShape s)
    {
        var g = s.Geometry;
        using var scope = TensorScope.Begin();
        var kernels = d.Kernels.Get<ConvKernels>();
        var x = CounterRng.Uniform(1, g.N * g.C * g.H * g.W, -1f, 1f);
        var cols = Tensor.Empty(d, g.Rows, g.Patch);
        kernels.Im2Col(Tensor.FromArray(d, x, g.N, g.C, g.H, g.W).View, cols.View, g);
        var dc = CounterRng.Uniform(2, g.Rows * g.Patch, -1f, 1f);
        var dx = Tensor.Empty(d, g.N, g.C, g.H, g.W);
        kernels.Col2Im(Tensor.FromArray(d, dc, g.Rows, g.Patch).View, dx.View, g);
        // Packed as strips of 8 rows and as panels of 8 columns, each completed with zeros.
        var reference = ConvKernels.Im2ColReference(x, g);
        int rows8 = (g.Rows + 7) / 8 * 8, patch8 = (g.Patch + 7) / 8 * 8;
        var strips = Tensor.Full(d, new Shape(rows8 * g.Patch), float.NaN);
        var panels = Tensor.Full(d, new Shape(g.Rows * patch8), float.NaN);
        var tx = Tensor.FromArray(d, x, g.N, g.C, g.H, g.W);
        kernels.Im2ColStrips(tx.View, strips.View.Cast<Vec8f>(), g);
        kernels.Im2ColPanels(tx.View, panels.View.Cast<Vec8f>(), g);
        var wantStrips = new double[strips.Length];
        var wantPanels = new double[panels.Length];
        for (int row = 0; row < g.Rows; row++)
            for (int col = 0; col < g.Patch; col++)
            {
                wantStrips[(row / 8 * g.Patch + col) * 8 + row % 8] = reference[row * g.Patch + col];
                wantPanels[(col / 8 * g.Rows + row) * 8 + col % 8] = reference[row * g.Patch + col];
            }
        return Diff("im2col", cols.ToArray(), reference, 0, 0)
            ?? Diff("im2col strips", strips.ToArray(), wantStrips, 0, 0)
            ?? Diff("im2col panels", panels.ToArray(), wantPanels, 0, 0)
            ?? Diff("col2im", dx.ToArray(), ConvKernels.Col2ImReference(dc, g), Tolerances.ShortSumRel, Tolerances.ShortSumAbs);
    }

    private static string? Conv2d(Device d, ConvShape s)
    {
        var (n, c, size, cout, k, st, p, o) = (s.N, s.C, s.Size, s.COut, s.K, s.Stride, s.Pad, s.Out);
        var x = CounterRng.Uniform(1, n * c * size * size, -1f, 1f);
        var w = CounterRng.Uniform(2, cout * c * k * k, -0.5f, 0.5f);
        var b = CounterRng.Uniform(3, cout, -0.5f, 0.5f);
        var dy = CounterRng.Uniform(4, n * cout * o * o, -1f, 1f);
        using var scope = TensorScope.Begin();
        var tx = Tensor.FromArray(d, x, n, c, size, size);
        var tw = Tensor.FromArray(d, w, cout, c, k, k);
        var tb = Tensor.FromArray(d, b, cout);
        tx.RequiresGrad = tw.RequiresGrad = tb.RequiresGrad = true;
        var y = tx.Conv2d(tw, tb, st, p);
        (y * Tensor.FromArray(d, dy, n, cout, o, o)).Sum().Backward();
        var (xd, wd, bd) = (Doubles(x), Doubles(w), Doubles(b));
        var (dx, dw, db) = ConvReference.Conv2dBackward(xd, wd, Doubles(dy), n, c, size, size, cout, k, st, p);
        const double rel = Tolerances.ShortSumRel, abs = Tolerances.ShortSumAbs;
        return Diff("y", y.ToArray(), ConvReference.Conv2d(xd, wd, bd, n, c, size, size, cout, k, st, p), rel, abs)
            ?? Diff("∂x", tx.Grad!.ToArray(), dx, rel, abs)
            ?? Diff("∂w", tw.Grad!.ToArray(), dw, rel, abs)
            ?? Diff("∂b", tb.Grad!.ToArray(), db, rel, abs);
    }

    /// <summary>The direct kernels themselves (which the op runs on OpenCL CPUs only) against the reference: y, ∂x, ∂w written and accumulated, pad and crop.</summary>
    public static string? ConvDirect(Device d, ConvShape s)
    {
        var (n, c, size, cout, k, o) = (s.N, s.C, s.Size, s.COut, s.K, s.Out);
        var g = new ConvGeometry(n, c, size, size, k, k, s.Stride, s.Pad);
        var x = CounterRng.Uniform(1, n * c * size * size, -1f, 1f);
        var w = CounterRng.Uniform(2, cout * g.Patch, -0.5f, 0.5f);
        var b = CounterRng.Uniform(3, cout, -0.5f, 0.5f);
        var dy = CounterRng.Uniform(4, n * cout * o * o, -1f, 1f);
        var old = CounterRng.Uniform(5, cout * g.Patch, -1f, 1f);
        using var scope = TensorScope.Begin();
        var conv = d.Kernels.Get<ConvKernels>();
        var direct = d.Kernels.Get<ConvDirectKernels>();
        int padded = direct.WeightsChannels(cout);
        var tx = Tensor.FromArray(d, x);
        int lanes = direct.ForwardChannels(cout);
        var w8 = Tensor.Full(d, new Shape(g.Patch * lanes), float.NaN);
        var g8 = Tensor.Full(d, new Shape(g.Rows * padded), float.NaN);
        var y = Tensor.Full(d, new Shape(n * cout * o * o), float.NaN);
        var dw = Tensor.Full(d, new Shape(cout * g.Patch), float.NaN);
        var dwAdded = Tensor.FromArray(d, old);
        conv.Transpose3(Tensor.FromArray(d, w).View, w8.View, 1, cout, g.Patch, lanes);
        direct.Forward(tx.View, w8.View, Tensor.FromArray(d, b).View, y.View, g, cout);
        conv.Transpose3(Tensor.FromArray(d, dy).View, g8.View, n, cout, o * o, padded);
        direct.Weights(tx.View, g8.View, dw.View, g, cout, accumulate: false);
        direct.Weights(tx.View, g8.View, dwAdded.View, g, cout, accumulate: true);
        int channels = direct.InputChannels(c);
        var gp = Tensor.Full(d, new Shape(n * cout * o * (o + 2 * (k - 1))), float.NaN);
        var wx8 = Tensor.Full(d, new Shape(cout * k * k * channels), float.NaN);
        var dx = Tensor.Full(d, new Shape(x.Length), float.NaN);
        direct.Pad(Tensor.FromArray(d, dy).View, gp.View, n * cout * o, 1, o, 0, k - 1);
        conv.Transpose3(Tensor.FromArray(d, w).View, wx8.View, cout, c, k * k, channels);
        direct.Input(gp.View, wx8.View, dx.View, g, cout);
        // Pad and its inverse Crop, by 1 row and 2 columns.
        var xp = Tensor.Full(d, new Shape(n * c * (size + 2) * (size + 4)), float.NaN);
        var back = Tensor.Full(d, new Shape(x.Length), float.NaN);
        direct.Pad(tx.View, xp.View, n * c, size, size, 1, 2);
        direct.Crop(xp.View, back.View, n * c, size, size, 1, 2);
        var wantPadded = new double[xp.Length];
        for (int p = 0; p < n * c; p++)
            for (int r = 0; r < size; r++)
                for (int col = 0; col < size; col++)
                    wantPadded[(p * (size + 2) + r + 1) * (size + 4) + col + 2] = x[(p * size + r) * size + col];
        var (xd, wd) = (Doubles(x), Doubles(w));
        var (dxRef, dwRef, _) = ConvReference.Conv2dBackward(xd, wd, Doubles(dy), n, c, size, size, cout, k, s.Stride, s.Pad);
        const double rel = Tolerances.ShortSumRel, abs = Tolerances.ShortSumAbs;
        return Diff("y", y.ToArray(), ConvReference.Conv2d(xd, wd, Doubles(b), n, c, size, size, cout, k, s.Stride, s.Pad), rel, abs)
            ?? Diff("∂x", dx.ToArray(), dxRef, rel, abs)
            ?? Diff("∂w", dw.ToArray(), dwRef, rel, abs)
            ?? Diff("∂w accumulated", dwAdded.ToArray(), dwRef.Select((v, i) => v + old[i]).ToArray(), rel, abs)
            ?? Diff("padded", xp.ToArray(), wantPadded, 0, 0)
            ?? Diff("cropped", back.ToArray(), xd, 0, 0);
    }

    private static string? Pool(Device d, WindowShape s, bool max)
    {
        var g = s.Geometry;
        int len = g.N * g.C * g.H * g.W;
        // A scaled permutation for max: no ties, so the argmax is unique.
        var x = max ? Array.ConvertAll(CounterRng.Permutation(4, len), v => (v - len / 2f) * 0.37f) : CounterRng.Uniform(6, len, -2f, 2f);
        var dy = CounterRng.Uniform(5, g.N * g.C * g.OutH * g.OutW, -1f, 1f);
        using var scope = TensorScope.Begin();
        var tx = Tensor.FromArray(d, x, g.N, g.C, g.H, g.W);
        tx.RequiresGrad = true;
        var y = max ? tx.MaxPool2d(s.K, s.Stride, s.Pad) : tx.AvgPool2d(s.K, s.Stride, s.Pad);
        (y * Tensor.FromArray(d, dy, g.N, g.C, g.OutH, g.OutW)).Sum().Backward();
        if (max)
        {
            var (yRef, idx) = PoolKernels.MaxReference(x, g);
            return Diff("y", y.ToArray(), yRef, 0, 0)
                ?? Diff("∂x", tx.Grad!.ToArray(), PoolKernels.MaxBackwardReference(dy, idx, g), Tolerances.ShortSumRel, Tolerances.ShortSumAbs);
        }
        return Diff("y", y.ToArray(), PoolKernels.AvgReference(x, g), Tolerances.ShortSumRel, Tolerances.ShortSumAbs)
            ?? Diff("∂x", tx.Grad!.ToArray(), PoolKernels.AvgBackwardReference(dy, g), Tolerances.ShortSumRel, Tolerances.ShortSumAbs);
    }

    private static int[] Labels(ulong seed, int n, int classes) =>
        Enumerable.Range(0, n).Select(i => (int)(CounterRng.Uniform(seed, (ulong)i) * classes)).ToArray();

    private static string? SoftmaxCrossEntropy(Device d, int n, int classes, float smoothing, float scale)
    {
        var z = CounterRng.Uniform((ulong)(n * classes), n * classes, -scale, scale);
        var y = Labels(7, n, classes);
        using var scope = TensorScope.Begin();
        using var labels = IntBuffer.FromArray(d, y);
        var logits = Tensor.FromArray(d, z, n, classes);
        logits.RequiresGrad = true;
        var loss = Tensor.SoftmaxCrossEntropy(logits, labels, smoothing);
        loss.Backward();
        var (refLoss, refGrad) = SoftmaxCrossEntropyReference.Compute(Doubles(z), y, classes, smoothing);
        // Ten times the transcendental bound: the loss and its gradient chain exp, a sum and a log.
        var (rel, abs) = Tolerances.Transcendental(d.Kind);
        return Diff("loss", [loss.Item()], [refLoss], 10 * rel, abs) ?? Diff("∂logits", logits.Grad!.ToArray(), refGrad, 10 * rel, abs / n);
    }

    private static string? CorrectCount(Device d)
    {
        using var scope = TensorScope.Begin();
        var z = CounterRng.Uniform(5, 100 * 10, -1f, 1f);
        z[3 * 10 + 2] = z[3 * 10 + 7] = 5f; // a tie: the first maximum wins
        var y = Labels(9, 100, 10);
        y[3] = 2;
        using var labels = IntBuffer.FromArray(d, y);
        int got = (int)Tensor.CorrectCount(Tensor.FromArray(d, z, 100, 10), labels).Item();
        int want = SoftmaxCrossEntropyReference.CorrectCount(z, y, 10);
        return got == want ? null : $"count: got {got}, expected {want}";
    }

    /// <summary>
    /// Six steps of the engine's optimizer on one parameter (∂p = c_t, from backward of Σ p ⊙ c_t)
    /// and of the double reference (p, g, m, v, 1-based t); parameters compared after every step.
    /// </summary>
    private static string? Optimizer(Device d, Func<Tensor[], Optimizer> make, Action<double[], double[], double[], double[], long> reference)
    {
        const int n = 37;
        var init = CounterRng.Uniform(77, n, -1f, 1f);
        var p = Tensor.FromArray(d, init, n);
        p.RequiresGrad = true;
        p.Name = "fc.weight";
        p.KeepAlive = true;
        try
        {
            using var opt = make([p]);
            double[] rp = Doubles(init), m = new double[n], v = new double[n];
            var (rel, abs) = Tolerances.Transcendental(d.Kind);
            for (int t = 1; t <= 6; t++)
            {
                var g = CounterRng.Uniform((ulong)(1000 + t), n, -1f, 1f);
                using (TensorScope.Begin())
                {
                    (p * Tensor.FromArray(d, g, n)).Sum().Backward();
                    opt.Step();
                    opt.ZeroGrad();
                }
                reference(rp, Doubles(g), m, v, t);
                if (Diff($"p after step {t}", p.ToArray(), rp, rel, abs) is { } bad) return bad;
            }
            return null;
        }
        finally { p.Dispose(); }
    }

    private static string? Dropout(Device d, float p, ulong seed)
    {
        const int n = 10_007;
        var g = CounterRng.Uniform(8, n, -1f, 1f);
        var wantY = new float[n];
        var wantDx = new float[n];
        for (int i = 0; i < n; i++)
        {
            float mask = DropoutKernels.MaskReference(seed, i, p);
            wantY[i] = 2f * mask;
            wantDx[i] = g[i] * mask;
        }
        using var scope = TensorScope.Begin();
        var x = Tensor.Full(d, 2f, n);
        x.RequiresGrad = true;
        var y = x.Dropout(p, seed);
        (y * Tensor.FromArray(d, g, n)).Sum().Backward();
        return (Tolerances.FirstDifference(y.ToArray(), wantY) is { } my ? $"y {my}" : null)
            ?? (Tolerances.FirstDifference(x.Grad!.ToArray(), wantDx) is { } mg ? $"∂x {mg}" : null);
    }

    private static string? SwapAxes(Device d, int b, int r, int c)
    {
        var x = CounterRng.Uniform(3, b * r * c, -1f, 1f);
        var g = CounterRng.Uniform(4, b * r * c, -1f, 1f);
        var want = new double[x.Length];
        var wantDx = new double[x.Length];
        for (int i = 0; i < b; i++)
            for (int row = 0; row < r; row++)
                for (int col = 0; col < c; col++)
                {
                    want[(i * c + col) * r + row] = x[(i * r + row) * c + col];
                    wantDx[(i * r + row) * c + col] = g[(i * c + col) * r + row];
                }
        using var scope = TensorScope.Begin();
        var tx = Tensor.FromArray(d, x, b, r, c);
        tx.RequiresGrad = true;
        var y = tx.SwapLastAxes();
        (y * Tensor.FromArray(d, g, b, c, r)).Sum().Backward();
        return Diff("y", y.ToArray(), want, 0, 0) ?? Diff("∂x", tx.Grad!.ToArray(), wantDx, 0, 0);
    }

    private static string? Sum(Device d, int[] shape, int[] axes, double sumRel)
    {
        var x = CounterRng.Uniform((ulong)(9 + axes.Length), shape.Aggregate(1, (a, b) => a * b), -1f, 1f);
        using var scope = TensorScope.Begin();
        var t = Tensor.FromArray(d, x, shape);
        var got = (axes.Length == 0 ? t.Sum() : t.Sum(axes)).ToArray();
        var (sum, magnitude) = TensorReference.Sum(Doubles(x), shape, axes);
        return Tolerances.FirstMismatch(got, sum, magnitude, Tolerances.ElementwiseRel + sumRel, Tolerances.ElementwiseAbs) is { } m
            ? $"sum {m}" : null;
    }

    private static string? Max(Device d, int axis)
    {
        int[] shape = [4, 37, 9];
        var x = CounterRng.Uniform(12, 4 * 37 * 9, -1f, 1f);
        x[100] = float.NaN;
        using var scope = TensorScope.Begin();
        var (values, indices) = Tensor.FromArray(d, x, shape).MaxWithIndices(axis);
        var (max, idx) = TensorReference.Max(Doubles(x), shape, axis);
        if (Diff("max", values.ToArray(), max, 0, 0) is { } bad) return bad;
        for (int i = 0; i < idx.Length; i++)
            if (indices[i] != idx[i]) return $"argmax index {i}: got {indices[i]}, expected {idx[i]}";
        return null;
    }

    private static string? Binary<TOp>(Device d) where TOp : struct, IBinaryOp
    {
        var a = CounterRng.Uniform(1, 37 * 5, 0.5f, 2f);
        var b = CounterRng.Uniform(2, 4, 0.5f, 2f);
        using var scope = TensorScope.Begin();
        var ta = Tensor.FromArray(d, a, 37, 1, 5);
        var tb = Tensor.FromArray(d, b, 4, 1);
        return Diff("same-shape", Tensor.Binary<TOp>(ta, ta).ToArray(),
                   TensorReference.Binary(Doubles(a), [37, 1, 5], Doubles(a), [37, 1, 5], TOp.Reference), Tolerances.ElementwiseRel, Tolerances.ElementwiseAbs)
            ?? Diff("broadcast", Tensor.Binary<TOp>(ta, tb).ToArray(),
                   TensorReference.Binary(Doubles(a), [37, 1, 5], Doubles(b), [4, 1], TOp.Reference), Tolerances.ElementwiseRel, Tolerances.ElementwiseAbs);
    }

    private static string? Unary<TOp>(Device d, float low, float high, bool transcendental) where TOp : struct, IUnaryOp
    {
        var x = CounterRng.Uniform(13, 10_007, low, high);
        using var scope = TensorScope.Begin();
        var y = Tensor.Unary<TOp>(Tensor.FromArray(d, x, x.Length)).ToArray();
        var (rel, abs) = transcendental ? Tolerances.Transcendental(d.Kind) : (Tolerances.ElementwiseRel, Tolerances.ElementwiseAbs);
        return Diff("y", y, Array.ConvertAll(x, v => TOp.Reference(v)), rel, abs);
    }

    private static string? Affine(Device d)
    {
        var x = CounterRng.Uniform(14, 10_007, -8f, 8f);
        using var scope = TensorScope.Begin();
        var y = Tensor.FromArray(d, x, x.Length).Affine(2.5f, -0.75f).ToArray();
        return Diff("y", y, Array.ConvertAll(x, v => 2.5 * v - 0.75), Tolerances.ElementwiseRel, Tolerances.ElementwiseAbs);
    }

    /// <summary>Special values, tiny and large magnitudes, and a seeded spread; length not a multiple of any group size.</summary>
    public static float[] SpecialInputs()
    {
        var special = new[] { 0f, -0f, 1e-7f, -1e-7f, 1f, -1f, 100f, -100f, 1e4f, -1e4f, float.NaN, 0.5f, -0.5f };
        var spread = CounterRng.Uniform(5, 100_003, -8f, 8f);
        return [.. special, .. spread];
    }

    private static string? ClampMin(Device d)
    {
        var x = SpecialInputs();
        x[3] = float.NaN;
        using var scope = TensorScope.Begin();
        var t = Tensor.FromArray(d, x, x.Length);
        d.Kernels.Get<AffineKernels>().ClampMin(t.View, 0.01f);
        return Tolerances.FirstDifference(t.ToArray(), Array.ConvertAll(x, v => AffineKernels.ClampMinReference(v, 0.01f))) is { } m
            ? $"y {m}" : null;
    }

    private static string? NonFiniteCount(Device d)
    {
        var x = SpecialInputs();
        x[17] = float.PositiveInfinity;
        x[x.Length - 1] = float.NegativeInfinity;
        using var scope = TensorScope.Begin();
        int got = Numerics.CountNonFinite(Tensor.FromArray(d, x, x.Length));
        int want = CheckKernels.NonFiniteReference(x);
        return got == want ? null : $"count: got {got}, expected {want}";
    }

    private static string? NonFiniteStep(Device d)
    {
        using var watch = new NonFiniteWatch(d);
        int want = -1;
        float[] losses = [2.3f, float.NaN, 1f, float.PositiveInfinity];
        for (int step = 0; step < losses.Length; step++)
        {
            using var loss = Tensor.FromArray(d, [losses[step]], 1);
            watch.Observe(loss, step);
            want = CheckKernels.MarkNonFiniteReference(losses[step], want, step);
        }
        int got = watch.FirstBadStep ?? -1;
        return got == want ? null : $"step: got {got}, expected {want}";
    }
}
