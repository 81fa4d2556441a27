// Runs an activation on a device and compares it with its double-precision reference, so that each
// activation test is one to five lines (the tinygrad test_ops helper, for kernels).
//
// Two levels:
// - CheckKernels launches ActivationKernels<T> directly: y = f(x; α), dx = dy·f', g = dy·∂f/∂α
//   elementwise, and checks that the kernels write exactly n outputs (the buffers are longer and
//   pre-filled with a sentinel that must survive past n).
// - CheckActivate goes through Tensor.Activate and Backward: y, x.Grad and α.Grad (summed per
//   channel) for a tensor of any shape with a per-layer or per-channel α.
using Activations.Kernels;
using Activations.Engine;
using Activations.Kernels.Activations;

namespace Activations.Tests.Infrastructure;

/// <summary>The double references of one activation and a launcher of its three kernels.</summary>
public sealed record ActivationCase(
    ActivationKind Kind,
    string Name,
    bool HasParameter,
    bool Transcendental,
    Func<double, double, double> Forward,
    Func<double, double, double> Backward,
    Func<double, double, double> ParamGrad,
    Func<Device, float[], float[], float[], int, (float[] Y, float[] Dx, float[] G)> RunKernels);

public static class ActivationHarness
{
    /// <summary>Written past the n outputs; a kernel that overruns its range overwrites it.</summary>
    public const float Sentinel = 1234.5f;

    private const int Pad = 7;

    /// <summary>Theory data: every device × every activation.</summary>
    public static TheoryData<string, ActivationKind> DevicesAndKinds
    {
        get
        {
            var data = new TheoryData<string, ActivationKind>();
            foreach (string d in TestDevices.DeviceKeys) foreach (var k in ActivationCatalog.All) data.Add(d, k);
            return data;
        }
    }

    /// <summary>Theory data: every device × the activations with a parameter (LeakyReLU, ELU, TaLU, ExLU).</summary>
    public static TheoryData<string, ActivationKind> DevicesAndParameterisedKinds
    {
        get
        {
            var data = new TheoryData<string, ActivationKind>();
            foreach (string d in TestDevices.DeviceKeys)
                foreach (var k in ActivationCatalog.All.Where(ActivationCatalog.HasParameter)) data.Add(d, k);
            return data;
        }
    }

    public static ActivationCase Of(ActivationKind kind) => kind switch
    {
        ActivationKind.ReLU => Make<ReLU>(kind, transcendental: false),
        ActivationKind.LeakyReLU => Make<LeakyReLU>(kind, transcendental: false),
        ActivationKind.ELU => Make<ELU>(kind, transcendental: true),
        ActivationKind.TaLU => Make<TaLU>(kind, transcendental: true),
        ActivationKind.ExLU => Make<ExLU>(kind, transcendental: true),
        ActivationKind.Tanh => Make<Tanh>(kind, transcendental: true),
        ActivationKind.Sigmoid => Make<Sigmoid>(kind, transcendental: true),
        ActivationKind.GELU => Make<GELU>(kind, transcendental: true),
        ActivationKind.SiLU => Make<SiLU>(kind, transcendental: true),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no test case for this activation"),
    };

    /// <summary>Elementwise tolerance for <paramref name="kind"/> on <paramref name="d"/>.</summary>
    public static (double Rel, double Abs) Tolerance(Device d, ActivationKind kind) =>
        Of(kind).Transcendental ? Tolerances.Transcendental(d.Kind) : (Tolerances.ElementwiseRel, Tolerances.ElementwiseAbs);

    private static ActivationCase Make<T>(ActivationKind kind, bool transcendental) where T : struct, IActivation =>
        new(kind, T.Name, T.HasParameter, transcendental, T.ForwardReference, T.BackwardReference, T.ParamGradReference, RunKernels<T>);

    /// <summary>Launches forward, backward and α-gradient of <typeparamref name="T"/> over the first n elements of padded buffers.</summary>
    private static (float[] Y, float[] Dx, float[] G) RunKernels<T>(Device d, float[] x, float[] dy, float[] alpha, int inner)
        where T : struct, IActivation
    {
        int n = x.Length;
        using var scope = TensorScope.Begin();
        var kernels = d.Kernels.Get<ActivationKernels<T>>();
        var tx = Tensor.FromArray(d, [.. x, .. Enumerable.Repeat(float.NaN, Pad)], n + Pad);
        var tdy = Tensor.FromArray(d, [.. dy, .. Enumerable.Repeat(float.NaN, Pad)], n + Pad);
        var ta = Tensor.FromArray(d, alpha, alpha.Length);
        var ty = Tensor.Full(d, Sentinel, n + Pad);
        var tdx = Tensor.Full(d, Sentinel, n + Pad);
        var tg = Tensor.Full(d, Sentinel, n + Pad);
        var vx = tx.View.SubView(0, n);
        var vy = ty.View.SubView(0, n);
        kernels.Forward(vx, vy, ta.View, inner);
        kernels.Backward(vx, vy, tdy.View.SubView(0, n), tdx.View.SubView(0, n), ta.View, inner);
        kernels.ParamGrad(vx, vy, tdy.View.SubView(0, n), tg.View.SubView(0, n), ta.View, inner);
        return (Head(ty.ToArray(), n, "forward"), Head(tdx.ToArray(), n, "backward"), Head(tg.ToArray(), n, "param-grad"));
    }

    private static float[] Head(float[] padded, int n, string what)
    {
        for (int i = n; i < padded.Length; i++)
            Assert.True(padded[i] == Sentinel, $"{what} kernel wrote past its {n} elements (index {i} holds {padded[i]})");
        return padded[..n];
    }

    /// <summary>The parameter of element i: α[(i / inner) mod C], or α[0] for a per-layer α.</summary>
    private static double AlphaAt(float[] alpha, int i, int inner) => alpha.Length == 1 ? alpha[0] : alpha[i / inner % alpha.Length];

    /// <summary>
    /// Runs the three kernels of <paramref name="kind"/> on <paramref name="x"/> (α per layer, or per channel
    /// with channel (i / inner) mod C) and compares y, dx = dy·f' and g = dy·∂f/∂α with the references.
    /// </summary>
    public static void CheckKernels(Device d, ActivationKind kind, float[] x, float[] alpha, int inner = 1, string context = "")
    {
        var a = Of(kind);
        int n = x.Length;
        var dy = TestInputs.Uniform(n, 77, -1.5f, 1.5f);
        var (y, dx, g) = a.RunKernels(d, x, dy, alpha, inner);
        var (rel, abs) = Tolerance(d, kind);
        var yRef = new double[n];
        var dxRef = new double[n];
        var gRef = new double[n];
        for (int i = 0; i < n; i++)
        {
            double p = AlphaAt(alpha, i, inner);
            yRef[i] = a.Forward(x[i], p);
            dxRef[i] = dy[i] * a.Backward(x[i], p);
            gRef[i] = dy[i] * a.ParamGrad(x[i], p);
        }
        string where = $"{a.Name} on {d.Key}, n={n}, α={string.Join("/", alpha)}{context}";
        Expect.Close(y, yRef, rel, abs, $"forward ({where}) y");
        Expect.Close(dx, dxRef, rel, abs, $"backward ({where}) dx");
        Expect.Close(g, gRef, rel, abs, $"param-grad ({where}) dα");
    }

    /// <summary>The kernels' outputs for one input and α (dy = 1), for tests that assert exact values.</summary>
    public static (float Y, float Dx, float G)[] Evaluate(Device d, ActivationKind kind, float[] x, float alpha)
    {
        var (y, dx, g) = Of(kind).RunKernels(d, x, Enumerable.Repeat(1f, x.Length).ToArray(), [alpha], 1);
        return Enumerable.Range(0, x.Length).Select(i => (y[i], dx[i], g[i])).ToArray();
    }

    /// <summary>
    /// Through the engine: y = x.Activate(kind, α, channelAxis), then y.Backward(dy); compares y, x.Grad and
    /// α.Grad (Σ over each channel of dy·∂f/∂α) with the references.
    /// </summary>
    public static void CheckActivate(Device d, ActivationKind kind, int[] shape, float[] x, float[] alpha, int channelAxis = 1)
    {
        var a = Of(kind);
        var s = new Shape(shape);
        int axis = s.Axis(channelAxis);
        int inner = alpha.Length == 1 ? 1 : s.Product(axis + 1, s.Rank);
        int n = s.Length;
        var dy = TestInputs.Uniform(n, 78, -1.5f, 1.5f);

        using var scope = TensorScope.Begin();
        var tx = Tensor.FromArray(d, x, shape);
        tx.RequiresGrad = true;
        var ta = Tensor.FromArray(d, alpha, alpha.Length);
        ta.RequiresGrad = true;
        var y = tx.Activate(kind, ta, channelAxis);
        Assert.Equal(s, y.Shape);
        y.Backward(Tensor.FromArray(d, dy, shape));

        var (rel, abs) = Tolerance(d, kind);
        var yRef = new double[n];
        var dxRef = new double[n];
        var gaRef = new double[alpha.Length];
        var gaMag = new double[alpha.Length];
        for (int i = 0; i < n; i++)
        {
            double p = AlphaAt(alpha, i, inner);
            int c = alpha.Length == 1 ? 0 : i / inner % alpha.Length;
            yRef[i] = a.Forward(x[i], p);
            dxRef[i] = dy[i] * a.Backward(x[i], p);
            double term = dy[i] * a.ParamGrad(x[i], p);
            gaRef[c] += term;
            gaMag[c] += Math.Abs(term);
        }
        string where = $"{a.Name} on {d.Key}, shape {s}, α={string.Join("/", alpha)} on axis {channelAxis}";
        Expect.Close(y.ToArray(), yRef, rel, abs, $"Activate ({where}) y");
        Assert.NotNull(tx.Grad);
        Expect.Close(tx.Grad!.ToArray(), dxRef, rel, abs, $"Activate ({where}) x.Grad");
        if (!a.HasParameter)
        {
            Assert.Null(ta.Grad);
            return;
        }
        Assert.NotNull(ta.Grad);
        Assert.Equal(ta.Shape, ta.Grad!.Shape);
        Expect.SumsClose(ta.Grad.ToArray(), gaRef, gaMag, rel, abs, $"Activate ({where}) α.Grad");
    }
}
