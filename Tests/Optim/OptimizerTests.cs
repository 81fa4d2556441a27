// SGD and Adam/AdamW kernels over several steps against double-precision reimplementations of
// PyTorch's update rules; state naming, skipped parameters, checkpoint-style restore.
using Activations.Engine;
using Activations.Engine.Optim;
using Activations.Kernels;
using Activations.Kernels.Optim;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.Optim;

public class OptimizerTests
{
    private const double Rel = Tolerances.TranscendentalRel, Abs = Tolerances.TranscendentalAbs;
    private static readonly int[][] Shapes = [[3, 4], [5]];

    /// <summary>The gradient fed to parameter <paramref name="k"/> at <paramref name="step"/>.</summary>
    private static float[] Grad(int k, int step, int n) => CounterRng.Uniform((ulong)(1000 * k + step), n, -1f, 1f);

    /// <summary>
    /// Runs <paramref name="steps"/> steps of the engine optimizer (gradients made by backward of
    /// Σ p ⊙ c, so ∂p = c) and of <paramref name="reference"/> (double, one parameter at a time, given
    /// the 1-based step), comparing parameters after every step. Returns the optimizer for more checks.
    /// </summary>
    private static void Compare(string device, Func<Tensor[], Optimizer> make, Action<double[], double[], double[][], long> reference,
        int stateCount, int steps = 6, Action<Optimizer, double[][][]>? checkState = null)
    {
        var d = TestDevices.Get(device);
        var ps = new Tensor[Shapes.Length];
        var refP = new double[Shapes.Length][];
        var refState = new double[Shapes.Length][][];
        for (int k = 0; k < Shapes.Length; k++)
        {
            var init = CounterRng.Uniform((ulong)(77 + k), Shapes[k].Aggregate(1, (a, b) => a * b), -1f, 1f);
            ps[k] = Tensor.FromArray(d, init, Shapes[k]);
            ps[k].RequiresGrad = true;
            ps[k].Name = k == 0 ? "fc.weight" : "fc.bias";
            ps[k].KeepAlive = true;
            refP[k] = init.Select(v => (double)v).ToArray();
            refState[k] = Enumerable.Range(0, stateCount).Select(_ => new double[init.Length]).ToArray();
        }
        using var opt = make(ps);
        for (int s = 1; s <= steps; s++)
        {
            using (var scope = TensorScope.Begin())
            {
                Tensor? loss = null;
                for (int k = 0; k < ps.Length; k++)
                {
                    var c = Tensor.FromArray(d, Grad(k, s, ps[k].Length), Shapes[k]);
                    var term = (ps[k] * c).Sum();
                    loss = loss is null ? term : loss + term;
                }
                loss!.Backward();
                opt.Step();
                opt.ZeroGrad();
            }
            for (int k = 0; k < ps.Length; k++)
            {
                reference(refP[k], Grad(k, s, ps[k].Length).Select(v => (double)v).ToArray(), refState[k], s);
                Expect.Close(ps[k].ToArray(), refP[k], Rel, Abs, $"{ps[k].Name} after step {s}");
            }
        }
        checkState?.Invoke(opt, refState);
        foreach (var p in ps) p.Dispose();
    }

    /// <summary>torch.optim.SGD's rule (Kernels' reference); state[0] is the momentum buffer.</summary>
    private static Action<double[], double[], double[][], long> SgdReference(double lr, double mu, double damp, double wd, bool nesterov) =>
        (p, g, state, step) => OptimizerReference.Sgd(p, g, state[0], step, lr, mu, damp, wd, nesterov);

    /// <summary>torch.optim.Adam / AdamW's rule (Kernels' reference); state[0] = exp_avg, state[1] = exp_avg_sq.</summary>
    private static Action<double[], double[], double[][], long> AdamReference(double lr, double b1, double b2, double eps, double wd, bool decoupled) =>
        (p, g, state, t) => OptimizerReference.Adam(p, g, state[0], state[1], t, lr, b1, b2, eps, wd, decoupled);

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void PlainSgd(string device) =>
        Compare(device, ps => new Sgd(ps, 0.1f), SgdReference(0.1, 0, 0, 0, false), 1);

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void SgdMomentumDampeningWeightDecay(string device) =>
        Compare(device, ps => new Sgd(ps, 0.05f, momentum: 0.9f, dampening: 0.1f, weightDecay: 1e-2f),
            SgdReference(0.05, 0.9, 0.1, 1e-2, false), 1,
            checkState: (opt, st) => Expect.Close(opt.State["fc.weight.momentum_buffer"].ToArray(), st[0][0], Rel, Abs, "momentum_buffer"));

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void SgdNesterov(string device) =>
        Compare(device, ps => new Sgd(ps, 0.05f, momentum: 0.9f, weightDecay: 5e-4f, nesterov: true),
            SgdReference(0.05, 0.9, 0, 5e-4, true), 1);

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void AdamWithL2(string device) =>
        Compare(device, ps => new Adam(ps, 1e-2f, weightDecay: 1e-2f),
            AdamReference(1e-2, 0.9, 0.999, 1e-8, 1e-2, false), 2,
            checkState: (opt, st) =>
            {
                Expect.Close(opt.State["fc.bias.exp_avg"].ToArray(), st[1][0], Rel, Abs, "exp_avg");
                Expect.Close(opt.State["fc.bias.exp_avg_sq"].ToArray(), st[1][1], Rel, Abs, "exp_avg_sq");
                Assert.Equal(6, opt.GetStep("fc.bias"));
            });

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void AdamW(string device) =>
        Compare(device, ps => Adam.AdamW(ps, 3e-3f, beta1: 0.8f, beta2: 0.99f, weightDecay: 0.1f),
            AdamReference(3e-3, 0.8, 0.99, 1e-8, 0.1, true), 2);

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ParametersWithoutGradientsAreSkipped(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var used = Tensor.FromArray(d, [1f, 2f]);
        var unused = Tensor.FromArray(d, [3f]);
        used.Name = "used";
        unused.Name = "unused";
        used.RequiresGrad = unused.RequiresGrad = true;
        using var opt = new Sgd([used, unused], 0.5f, momentum: 0.9f);
        used.Sum().Backward();
        opt.Step();
        Assert.Equal([0.5f, 1.5f], used.ToArray());
        Assert.Equal([3f], unused.ToArray());
        Assert.Equal(1, opt.GetStep("used"));
        Assert.Equal(0, opt.GetStep("unused"));
        Assert.Equal(["unused.momentum_buffer", "used.momentum_buffer"], opt.State.Keys.Order());
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void StateSurvivesScopesAndRestores(string device)
    {
        var d = TestDevices.Get(device);
        var p = Tensor.FromArray(d, [1f]);
        p.Name = "p";
        p.RequiresGrad = true;
        using var opt = new Adam([p], 0.1f);
        using (TensorScope.Begin())
        {
            p.Sum().Backward();
            opt.Step();
        }
        Assert.False(opt.State["p.exp_avg"].IsDisposed);
        Assert.Equal(0.1f, opt.State["p.exp_avg"].Item(), 6);   // (1 − β1)·1
        // Restoring as a checkpoint would: copy the state in, set the step count.
        opt.State["p.exp_avg"].CopyFrom([0f]);
        opt.SetStep("p", 0);
        Assert.Equal(0, opt.GetStep("p"));
        p.Dispose();
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void ClearErrors(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var p = Tensor.FromArray(d, [1f]);
        p.RequiresGrad = true;
        Assert.Contains("names", Assert.Throws<ArgumentException>(() => new Sgd([p], 0.1f)).Message);
        p.Name = "p";
        Assert.Contains("Nesterov", Assert.Throws<ArgumentException>(() => new Sgd([p], 0.1f, nesterov: true)).Message);
        var q = Tensor.FromArray(d, [1f]);
        q.Name = "p";
        q.RequiresGrad = true;
        Assert.Contains("two parameters", Assert.Throws<ArgumentException>(() => new Sgd([p, q], 0.1f)).Message);
    }
}
