// Runs an activation on a device and compares it with its double-precision reference, so that each
// activation test is one to five lines (the tinygrad test_ops helper, for kernels). Every theory
// takes its activations from the catalog: a new activation struct is tested without a line here.
//
// The references come from the activation's own forward: on Real64 (System.Math) for y, on Dual64
// for the exact derivatives; finite differences check those in turn (ActivationDerivativeTests).
//
// Two levels:
// - CheckKernels launches ActivationKernels<T> directly: y = f(x; p), dx = dy·∂f/∂x and
//   g_k = dy·∂f/∂p_k elementwise, by the hand-written backward where there is one and by dual
//   numbers always, and checks that the kernels write exactly n outputs (the buffers are longer
//   and pre-filled with a sentinel that must survive past n).
// - CheckActivate goes through Tensor.Activate and Backward: y, x.Grad and the parameters' grad
//   (summed per channel) for a tensor of any shape with per-layer or per-channel parameters.
//
// Tests give the first parameter's value per channel ("α"); the others take their defaults.
using Activations.Kernels;
using Activations.Engine;
using Activations.Kernels.Activations;

namespace Activations.Tests.Infrastructure;

/// <summary>What the kernels of one activation wrote: y, dx, and g[k] for each parameter.</summary>
public sealed record KernelOutputs(float[] Y, float[] Dx, float[][] G);

public static class ActivationHarness
{
    /// <summary>Written past the n outputs; a kernel that overruns its range overwrites it.</summary>
    public const float Sentinel = 1234.5f;

    private const int Pad = 7;

    /// <summary>Theory data: every device × every activation in the catalog (by name).</summary>
    public static TheoryData<string, string> DevicesAndKinds
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string d in TestDevices.DeviceKeys) foreach (var a in ActivationCatalog.All) data.Add(d, a.Name);
            return data;
        }
    }

    /// <summary>Theory data: every device × the activations with a parameter.</summary>
    public static TheoryData<string, string> DevicesAndParameterisedKinds
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string d in TestDevices.DeviceKeys)
                foreach (var a in ActivationCatalog.All.Where(a => a.HasParameter)) data.Add(d, a.Name);
            return data;
        }
    }

    /// <summary>Theory data: every activation in the catalog (by name).</summary>
    public static TheoryData<string> Kinds
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var a in ActivationCatalog.All) data.Add(a.Name);
            return data;
        }
    }

    public static ActivationInfo Of(string name) => ActivationCatalog.Parse(name);

    /// <summary>Elementwise tolerance of activation kernels on <paramref name="d"/>.</summary>
    public static (double Rel, double Abs) Tolerance(Device d) => Tolerances.Transcendental(d.Kind);

    /// <summary>
    /// The full parameter array, parameter-major (P·C values): the first parameter takes
    /// <paramref name="first"/> per channel, the others their defaults in every channel. Without
    /// parameters, <paramref name="first"/> itself (the kernels ignore it).
    /// </summary>
    public static float[] Parameters(ActivationInfo a, float[] first)
    {
        if (!a.HasParameter) return first;
        return [.. first, .. a.Parameters.Skip(1).SelectMany(p => Enumerable.Repeat(p.Default, first.Length))];
    }

    /// <summary>The parameters of element i, for the references.</summary>
    public static double[] ParametersAt(ActivationInfo a, float[] first, int i, int inner)
    {
        int c = first.Length == 1 ? 0 : i / inner % first.Length;
        return a.Parameters.Select((p, k) => k == 0 ? (double)first[c] : p.Default).ToArray();
    }

    /// <summary>Launches forward, backward and each parameter's gradient over the first n elements of padded buffers.</summary>
    public static KernelOutputs RunKernels(Device d, ActivationInfo a, float[] x, float[] dy, float[] first, int inner, bool derived) =>
        a.Accept(new Runner(d, x, dy, Parameters(a, first), inner, derived));

    private sealed record Runner(Device D, float[] X, float[] Dy, float[] P, int Inner, bool Derived) : IActivationVisitor<KernelOutputs>
    {
        public KernelOutputs Visit<T>() where T : struct, IActivation
        {
            var (d, x, inner) = (D, X, Inner);
            int n = x.Length;
            using var scope = TensorScope.Begin();
            var kernels = d.Kernels.Get<ActivationKernels<T>>();
            var tx = Tensor.FromArray(d, [.. x, .. Enumerable.Repeat(float.NaN, Pad)], n + Pad);
            var tdy = Tensor.FromArray(d, [.. Dy, .. Enumerable.Repeat(float.NaN, Pad)], n + Pad);
            var tp = Tensor.FromArray(d, P, P.Length);
            var ty = Tensor.Full(d, Sentinel, n + Pad);
            var tdx = Tensor.Full(d, Sentinel, n + Pad);
            var vx = tx.View.SubView(0, n);
            var vy = ty.View.SubView(0, n);
            var vdy = tdy.View.SubView(0, n);
            kernels.Forward(vx, vy, tp.View, inner);
            kernels.Backward(vx, vy, vdy, tdx.View.SubView(0, n), tp.View, inner, Derived);
            var g = new float[T.Parameters.Count][];
            for (int k = 0; k < g.Length; k++)
            {
                var tg = Tensor.Full(d, Sentinel, n + Pad);
                kernels.ParamGrad(k, vx, vy, vdy, tg.View.SubView(0, n), tp.View, inner, Derived);
                g[k] = Head(tg.ToArray(), n, $"param-grad {k}");
            }
            return new(Head(ty.ToArray(), n, "forward"), Head(tdx.ToArray(), n, "backward"), g);
        }
    }

    private static float[] Head(float[] padded, int n, string what)
    {
        for (int i = n; i < padded.Length; i++)
            Assert.True(padded[i] == Sentinel, $"{what} kernel wrote past its {n} elements (index {i} holds {padded[i]})");
        return padded[..n];
    }

    /// <summary>The backward paths to check: hand-written (where there is one) and derived.</summary>
    public static bool[] Paths(ActivationInfo a) => a.HasBackward ? [false, true] : [true];

    /// <summary>
    /// Runs the kernels of <paramref name="name"/> on <paramref name="x"/> (first parameter per layer,
    /// or per channel with channel (i / inner) mod C), both backward paths, and compares y,
    /// dx = dy·∂f/∂x and g_k = dy·∂f/∂p_k with the references.
    /// </summary>
    public static void CheckKernels(Device d, string name, float[] x, float[] alpha, int inner = 1, string context = "")
    {
        var a = Of(name);
        int n = x.Length;
        var dy = TestInputs.Uniform(n, 77, -1.5f, 1.5f);
        var (rel, abs) = Tolerance(d);
        var yRef = new double[n];
        var dxRef = new double[n];
        var gRef = new double[a.Parameters.Count][];
        for (int k = 0; k < gRef.Length; k++) gRef[k] = new double[n];
        for (int i = 0; i < n; i++)
        {
            var p = ParametersAt(a, alpha, i, inner);
            yRef[i] = a.Reference(x[i], p);
            dxRef[i] = dy[i] * a.ReferenceDerivative(0, x[i], p);
            for (int k = 0; k < gRef.Length; k++) gRef[k][i] = dy[i] * a.ReferenceDerivative(k + 1, x[i], p);
        }
        foreach (bool derived in Paths(a))
        {
            var r = RunKernels(d, a, x, dy, alpha, inner, derived);
            string where = $"{a.Name}{(derived ? " (derived)" : "")} on {d.Key}, n={n}, α={string.Join("/", alpha)}{context}";
            Expect.Close(r.Y, yRef, rel, abs, $"forward ({where}) y");
            Expect.Close(r.Dx, dxRef, rel, abs, $"backward ({where}) dx");
            for (int k = 0; k < gRef.Length; k++)
                Expect.Close(r.G[k], gRef[k], rel, abs, $"param-grad ({where}) d{a.Parameters[k].Name}");
        }
    }

    /// <summary>The kernels' outputs (hand-written backward where there is one) for one input and first parameter (dy = 1): y, dx and the first parameter's g.</summary>
    public static (float Y, float Dx, float G)[] Evaluate(Device d, string name, float[] x, float alpha, bool derived = false)
    {
        var a = Of(name);
        var r = RunKernels(d, a, x, Enumerable.Repeat(1f, x.Length).ToArray(), [alpha], 1, derived);
        return Enumerable.Range(0, x.Length).Select(i => (r.Y[i], r.Dx[i], r.G.Length > 0 ? r.G[0][i] : 0f)).ToArray();
    }

    /// <summary>
    /// Through the engine: y = x.Activate(a, p, channelAxis), then y.Backward(dy); compares y, x.Grad and
    /// p.Grad (Σ over each channel of dy·∂f/∂p_k) with the references.
    /// </summary>
    public static void CheckActivate(Device d, string name, int[] shape, float[] x, float[] alpha, int channelAxis = 1)
    {
        var a = Of(name);
        var s = new Shape(shape);
        int axis = s.Axis(channelAxis);
        int inner = alpha.Length == 1 ? 1 : s.Product(axis + 1, s.Rank);
        int n = s.Length;
        int count = a.Parameters.Count, channels = alpha.Length;
        var dy = TestInputs.Uniform(n, 78, -1.5f, 1.5f);

        using var scope = TensorScope.Begin();
        var tx = Tensor.FromArray(d, x, shape);
        tx.RequiresGrad = true;
        var all = Parameters(a, alpha);
        var tp = Tensor.FromArray(d, all, all.Length);
        tp.RequiresGrad = true;
        var y = tx.Activate(a, tp, channelAxis);
        Assert.Equal(s, y.Shape);
        y.Backward(Tensor.FromArray(d, dy, shape));

        var (rel, abs) = Tolerance(d);
        var yRef = new double[n];
        var dxRef = new double[n];
        var gpRef = new double[count * channels];
        var gpMag = new double[count * channels];
        for (int i = 0; i < n; i++)
        {
            var p = ParametersAt(a, alpha, i, inner);
            int c = channels == 1 ? 0 : i / inner % channels;
            yRef[i] = a.Reference(x[i], p);
            dxRef[i] = dy[i] * a.ReferenceDerivative(0, x[i], p);
            for (int k = 0; k < count; k++)
            {
                double term = dy[i] * a.ReferenceDerivative(k + 1, x[i], p);
                gpRef[k * channels + c] += term;
                gpMag[k * channels + c] += Math.Abs(term);
            }
        }
        string where = $"{a.Name} on {d.Key}, shape {s}, α={string.Join("/", alpha)} on axis {channelAxis}";
        Expect.Close(y.ToArray(), yRef, rel, abs, $"Activate ({where}) y");
        Assert.NotNull(tx.Grad);
        Expect.Close(tx.Grad!.ToArray(), dxRef, rel, abs, $"Activate ({where}) x.Grad");
        if (!a.HasParameter)
        {
            Assert.Null(tp.Grad);
            return;
        }
        Assert.NotNull(tp.Grad);
        Assert.Equal(tp.Shape, tp.Grad!.Shape);
        Expect.SumsClose(tp.Grad.ToArray(), gpRef, gpMag, rel, abs, $"Activate ({where}) parameters.Grad");
    }
}
