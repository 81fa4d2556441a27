// The autograd engine's contract: gradients accumulate (a value used twice, diamonds, repeated
// Backward), no-grad scopes record nothing, scopes free temporaries but keep parameters and their
// gradients, graph export, and clear errors for misuse (non-scalar Backward, disposed tensors).
using Activations.Kernels;
using Activations.Engine;
using Activations.Engine.Autograd;
using Activations.Tests.Infrastructure;
using Activations.Kernels.Activations;

namespace Activations.Tests.Engine;

public class AutogradTests
{
    private static Tensor Leaf(Device d, float[] data, params int[] shape)
    {
        var t = Tensor.FromArray(d, data, shape);
        t.RequiresGrad = true;
        return t;
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ValueUsedTwice(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Leaf(d, [1, -2, 3.5f], 3);
        (x * x).Sum().Backward();
        Assert.Equal([2f, -4, 7], x.Grad!.ToArray());
        x.ClearGrad();
        (x + x + x).Sum().Backward();
        Assert.Equal([3f, 3, 3], x.Grad!.ToArray());
        GradCheck.Check(d, [[0.5, -1.5, 2]], [[3]], t => (t[0] * t[0] * t[0]).Sum(), v => v[0].Sum(x => x * x * x));
    }

    /// <summary>a → b, a → c, (b, c) → d: a's gradient is the sum over both paths.</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void DiamondGraph(string device)
    {
        var d = TestDevices.Get(device);
        using (TensorScope.Begin())
        {
            var a = Leaf(d, [0.5f, -1f], 2);
            var b = a * 3f;
            var c = a.Square();
            (b * c).Sum().Backward(); // d = 3a·a² = 3a³ → 9a²
            Expect.Close(a.Grad!.ToArray(), [2.25, 9], 1e-6, 0, "diamond");
        }
        // A deeper diamond whose middle node b feeds two branches: b's backward must run once, after both.
        GradCheck.Check(d, [[0.3, -0.7, 1.1]], [[3]],
            t =>
            {
                var b = t[0].Exp();
                var c = b * 2f;
                var e = b.Square();
                return (c * e + b).Sum();
            },
            v => v[0].Sum(x => 2 * Math.Exp(x) * Math.Exp(2 * x) + Math.Exp(x)));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void NoGradRecordsNothing(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Leaf(d, [1, 2, 3], 3);
        Tensor y;
        using (GradMode.NoGrad())
        {
            Assert.False(GradMode.IsEnabled);
            using (GradMode.NoGrad()) Assert.False(GradMode.IsEnabled); // nests
            Assert.False(GradMode.IsEnabled);
            y = (x * x).Activate(ActivationInfo.Of<TaLU>(), 0.5f).Sum();
        }
        Assert.True(GradMode.IsEnabled);
        Assert.False(y.RequiresGrad);
        Assert.True(y.IsLeaf);
        Assert.Equal(14f, y.Item());
        Expect.Throws<InvalidOperationException>(() => y.Backward(), "does not require grad", "NoGrad");
        Assert.Null(x.Grad);
        // Outside the scope, the same ops record again.
        Assert.True((x * x).Sum().RequiresGrad);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void NoGradScopeDisposedTwiceKeepsCountRight(string device)
    {
        var d = TestDevices.Get(device);
        var s = GradMode.NoGrad();
        s.Dispose();
        s.Dispose();
        Assert.True(GradMode.IsEnabled);
        using var scope = TensorScope.Begin();
        Assert.True((Leaf(d, [1], 1) * 2f).RequiresGrad);
    }

    /// <summary>Gradients add up across Backward calls until cleared, as in PyTorch.</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void GradientsAccumulateAcrossBackwardCalls(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Leaf(d, [1, -2, 3], 3);
        var w = Leaf(d, [0.5f], 1);
        (x * w).Square().Sum().Backward();
        var once = (x.Grad!.ToArray(), w.Grad!.ToArray());
        (x * w).Square().Sum().Backward();
        Assert.Equal(once.Item1.Select(g => 2 * g), x.Grad!.ToArray());
        Assert.Equal(once.Item2.Select(g => 2 * g), w.Grad!.ToArray());
        // The same graph walked again accumulates too (the graph is kept after Backward).
        var loss = (x * w).Square().Sum();
        loss.Backward();
        loss.Backward();
        Assert.Equal(once.Item1.Select(g => 4 * g), x.Grad!.ToArray());
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ZeroGradAndClearGrad(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Leaf(d, [1, -2, 3], 3);
        (x * x).Sum().Backward();
        var grad = x.Grad!;
        x.ZeroGrad();
        Assert.Same(grad, x.Grad);
        Assert.Equal([0f, 0, 0], x.Grad!.ToArray());
        (x * x).Sum().Backward();
        Assert.Equal([2f, -4, 6], x.Grad!.ToArray());
        x.ClearGrad();
        Assert.Null(x.Grad);
        Assert.True(grad.IsDisposed);
        x.ZeroGrad(); // no gradient: nothing to do
        Assert.Null(x.Grad);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void IntermediateGradientsAreFreedUnlessRetained(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Leaf(d, [1, 2], 2);
        var h = x * 3f;
        var kept = x * 5f;
        kept.RetainGrad = true;
        (h * kept).Sum().Backward();
        Assert.Null(h.Grad);
        Assert.Equal([3f, 6], kept.Grad!.ToArray()); // ∂(h·kept)/∂kept = h
        Assert.Equal([30f, 60], x.Grad!.ToArray());  // 15x² → 30x
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ConstantsAndDetachedTensorsGetNoGradient(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Leaf(d, [1, 2], 2);
        var c = Tensor.FromArray(d, [3, 4], 2);
        var stopped = (x * 10f).Detach();
        Assert.False(stopped.RequiresGrad);
        (x * c + stopped * x).Sum().Backward();
        Assert.Null(c.Grad);
        Assert.Null(stopped.Grad);
        Assert.Equal([13f, 24], x.Grad!.ToArray()); // c + stopped, no path through Detach
    }

    /// <summary>A training step in a scope: its temporaries return to the pool, parameters and their gradients stay.</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void TensorScopeDisposesTemporariesButKeepsLeafGradients(string device)
    {
        var d = TestDevices.Get(device);
        var w = Leaf(d, [0.5f, -1, 2], 3);
        var alpha = Leaf(d, [1.5f], 1);
        try
        {
            long before = d.MemoryStats.BytesInUse;
            Tensor x, h, loss, kept;
            using (var scope = TensorScope.Begin())
            {
                x = Tensor.FromArray(d, [1, 2, 3], 3);
                h = (x * w).Activate(ActivationInfo.Of<ExLU>(), alpha);
                loss = h.Sum();
                kept = scope.Keep(h * 2f);
                loss.Backward();
            }
            Assert.True(x.IsDisposed && h.IsDisposed && loss.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.False(w.IsDisposed || alpha.IsDisposed);
            Assert.False(w.Grad!.IsDisposed || alpha.Grad!.IsDisposed);
            // h = ExLU(x·w; 1.5) = [0.5, 1.5·(e^{−4/3} − 1), 6] → ∂/∂w = x·h' = [1, 2·e^{−4/3}, 3].
            var (rel, abs) = Tolerances.Transcendental(d.Kind);
            Expect.Close(w.Grad.ToArray(), [1, 2 * Math.Exp(-2 / 1.5), 3], rel, abs, "w.Grad");
            Assert.Equal(1, alpha.Grad.Length);
            // In use now: the two gradients and the kept tensor (3 + 1 + 3 floats); nothing else leaked.
            Assert.Equal(before + 7 * sizeof(float), d.MemoryStats.BytesInUse);
            kept.Dispose();
        }
        finally
        {
            w.Dispose();
            alpha.Dispose();
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void NestedScopesAndKeep(string device)
    {
        var d = TestDevices.Get(device);
        Tensor inner, kept, outerOnly;
        using (var outer = TensorScope.Begin())
        {
            outerOnly = Tensor.Zeros(d, 2);
            using (var scope = TensorScope.Begin())
            {
                inner = Tensor.Zeros(d, 2);
                kept = scope.Keep(Tensor.Ones(d, 2));
            }
            Assert.True(inner.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.False(outerOnly.IsDisposed);
        }
        Assert.True(kept.IsDisposed); // kept moved to the enclosing scope, which has ended now
        Assert.True(outerOnly.IsDisposed);
    }

    /// <summary>x.Activate(kind, p): the fixed α lives as long as the output, also when the output outlives its scope.</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void FixedAlphaLivesAsLongAsItsOutput(string device)
    {
        var d = TestDevices.Get(device);
        var x = Leaf(d, [-1, 2], 2);
        try
        {
            long before = d.MemoryStats.BytesInUse;
            Tensor y;
            using (var scope = TensorScope.Begin()) y = scope.Keep(x.Activate(ActivationInfo.Of<TaLU>(), 0.5f));
            using (var ones = Tensor.Ones(d, 2)) y.Backward(ones);
            var (rel, abs) = Tolerances.Transcendental(d.Kind);
            Expect.Close(x.Grad!.ToArray(), [0.5 * (1 - Math.Pow(Math.Tanh(-1), 2)), 1], rel, abs, "x.Grad");
            x.ClearGrad();
            y.Dispose();
            Assert.Equal(before, d.MemoryStats.BytesInUse); // α went with y
            using (GradMode.NoGrad()) x.Activate(ActivationInfo.Of<TaLU>(), 0.5f).Dispose();
            Assert.Equal(before, d.MemoryStats.BytesInUse); // no graph: α freed at once
        }
        finally
        {
            x.Dispose();
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void DotExportShowsOpsShapesAndEdges(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Leaf(d, [1, 2, 3, 4, 5, 6], 2, 3);
        x.Name = "input";
        var w = Leaf(d, [0.5f, 1, 2], 3);
        w.Name = "fc.weight";
        var z = x * w;
        var a = z.Activate(ActivationInfo.Of<TaLU>(), Tensor.FromArray(d, [1f], 1));
        var loss = a.Mean();
        string dot = GraphExport.ToDot(loss, "step");
        Assert.StartsWith("digraph \"step\" {", dot);
        Assert.EndsWith("}", dot.TrimEnd());
        foreach (var s in new[] { "mul", "talu", "mean", "input", "fc.weight", "[2, 3]", "[3]", "[1]", "[]" })
            Assert.Contains(s, dot);
        string[] lines = dot.Split('\n').Select(l => l.Trim()).ToArray();
        string[] Edges(Tensor from, Tensor to) => lines.Where(l => l.StartsWith($"t{from.Id} -> t{to.Id};") || l.StartsWith($"t{from.Id} -> t{to.Id} [")).ToArray();
        // Forward edges; mul saves both inputs and TaLU its input and α (its backward reads x, y and α).
        foreach (var (from, to, saved) in new[] { (x, z, true), (w, z, true), (z, a, true), (a, loss, false) })
        {
            var edge = Assert.Single(Edges(from, to));
            Assert.Equal(saved, edge.Contains("label=\"saved\""));
            Assert.DoesNotContain("dashed", edge);
        }
        Assert.Single(lines, l => l.StartsWith($"t{a.Id} [") && l.Contains("saves its output") && l.Contains("backward #2"));
        Assert.Single(lines, l => l.StartsWith($"t{loss.Id} [") && l.Contains("backward #1"));
        // Backward edges: to every input that requires a gradient (not to the fixed α).
        foreach (var (from, to) in new[] { (loss, a), (a, z), (z, x), (z, w) })
            Assert.Contains("dashed", Assert.Single(Edges(from, to)));
        Assert.DoesNotContain(Edges(a, a.Inputs[1]), e => e.Contains("dashed"));
        Assert.Equal(5 + 4, dot.Split("->").Length - 1); // forward: x, w → z; z, α → a; a → loss; backward: 4
        Assert.Equal(loss.TopologicalOrder().Count, lines.Count(l => l.StartsWith('t') && l.Contains("[label=") && !l.Contains("->")));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void BackwardOnNonScalarNeedsAGradient(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Leaf(d, [1, 2, 3, 4, 5, 6], 2, 3);
        var y = x * 2f;
        Expect.Throws<InvalidOperationException>(() => y.Backward(), "scalar", "[2, 3]", "6 elements");
        Expect.Throws<ArgumentException>(() => y.Backward(Tensor.Ones(d, 3, 2)), "[3, 2]", "[2, 3]");
        // With a gradient of the right shape it works.
        y.Backward(Tensor.Full(d, 0.5f, 2, 3));
        Assert.All(x.Grad!.ToArray(), g => Assert.Equal(1f, g));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void UsingADisposedTensorNamesIt(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = Leaf(d, [1, 2, 3, 4, 5, 6], 2, 3);
        x.Name = "layer1.weight";
        var other = Tensor.Ones(d, 2, 3);
        var y = x * 2f;
        x.Dispose();
        foreach (var (use, i) in new Action[]
                 {
                     () => _ = x + other, () => _ = other * x, () => _ = x * 2f, () => _ = x.Exp(), () => _ = x.Sum(),
                     () => _ = x.Max(1), () => _ = x.Reshape(6), () => _ = x.ToArray(), () => x.CopyFrom(new float[6]),
                     () => _ = x.Activate(ActivationInfo.Of<ExLU>()), () => _ = x.Copy(), () => x.Backward(),
                 }.Select((a, i) => (a, i)))
        {
            var e = Record.Exception(use);
            Assert.True(e is ObjectDisposedException, $"use #{i} of a disposed tensor: expected ObjectDisposedException, got {e?.GetType().Name ?? "none"}");
            Assert.Contains("layer1.weight", e!.Message);
            Assert.Contains("[2, 3]", e.Message);
        }
        // Backward through a graph built before the disposal says so too (y = 2x needs no data of x,
        // so this is about handing a gradient to a freed tensor, which would leak it).
        Expect.Throws<ObjectDisposedException>(() => y.Sum().Backward(), "layer1.weight");
    }

    /// <summary>
    /// An intermediate disposed before Backward: the gradient cannot flow on through it, and that must
    /// be an error naming it, not parameters silently left without their gradient.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void BackwardThroughADisposedIntermediateNamesIt(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var w = Leaf(d, [1, 2], 2);
        var h = w * 3f;
        h.Name = "hidden";
        var loss = (h * 2f).Sum();
        h.Dispose();
        Expect.Throws<ObjectDisposedException>(() => loss.Backward(), "hidden");
        Assert.Null(w.Grad);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void DisposingTwiceIsSafeAndViewsKeepTheirStorage(string device)
    {
        var d = TestDevices.Get(device);
        long before = d.MemoryStats.BytesInUse;
        var x = Tensor.FromArray(d, [1, 2, 3, 4], 2, 2);
        var view = x.Reshape(4);
        x.Dispose();
        x.Dispose();
        Assert.True(x.IsDisposed);
        Assert.Equal([1f, 2, 3, 4], view.ToArray()); // the view still holds the storage
        view.Dispose();
        view.Dispose();
        Assert.Equal(before, d.MemoryStats.BytesInUse);
        // A tensor with a gradient, disposed twice, frees both once.
        var p = Leaf(d, [1, 2], 2);
        using (TensorScope.Begin()) (p * p).Sum().Backward();
        var g = p.Grad!;
        p.Dispose();
        p.Dispose();
        Assert.True(g.IsDisposed);
        Assert.Null(p.Grad);
        g.Dispose();
        Assert.Equal(before, d.MemoryStats.BytesInUse);
    }
}
