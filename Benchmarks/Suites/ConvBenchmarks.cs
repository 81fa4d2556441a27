// Conv2d throughput per accelerator for every convolution of the models (Training/Models/ModelFactory)
// at their training batch: forward, backward to the input and backward to the weights, each through
// the engine's own op (Engine/Ops/Conv.cs): forward im2col → matmul (+ bias) → layout transpose;
// backward transpose → matmul → col2im (input) or transpose → matmul (+ the bias sum) (weights), as
// autograd runs them. A backward case differentiates only its side (the other does not require grad,
// as for a first layer, whose input needs no gradient). Each case is validated on sampled outputs or
// gradients against a direct-loop double reference before it is timed.
using Activations.Kernels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Activations.Engine;
using Activations.Engine.Autograd;

namespace Activations.Benchmarks.Suites;

public class ConvBenchmarks : DeviceSuite, IWorkCount
{
    /// <summary>A convolution of a model: input (C, H, W), Cout filters k×k, stride 1, zero padding.</summary>
    private sealed record ConvLayer(string Name, string Model, int C, int Cout, int K, int Pad, int H, int W, bool Bias);

    private static readonly ConvLayer[] Layers =
    [
        new("cnn.conv1", "cnn", 1, 32, 3, 1, 28, 28, true),
        new("cnn.conv2", "cnn", 32, 64, 3, 1, 14, 14, true),
        new("lenet.conv1", "lenet", 3, 6, 5, 0, 32, 32, true),
        new("lenet.conv2", "lenet", 6, 16, 5, 0, 14, 14, true),
        new("vgg.conv1", "vgg", 3, 64, 3, 1, 32, 32, false),
        new("vgg.conv2", "vgg", 64, 128, 3, 1, 32, 32, false),
        new("vgg.conv3", "vgg", 128, 256, 3, 1, 16, 16, false),
        new("vgg.conv4", "vgg", 256, 256, 3, 1, 8, 8, false),
    ];

    private ConvLayer _l = null!;
    private int _n, _oh, _ow;
    private float[] _xh = null!, _wh = null!, _bh = null!, _gyh = null!;
    private Tensor _x = null!, _w = null!, _gy = null!;
    private Tensor? _b;
    private Tensor? _root;           // output of the recorded graph that a backward case replays
    private Tensor[] _leaves = [];   // what that backward differentiates

    /// <summary>"cnn.conv2 b64": the layer and its batch (smaller in quick mode).</summary>
    public static IEnumerable<string> Cases => Layers.Select(l => BenchSizes.WithBatch(l.Name, l.Model));

    [ParamsSource(nameof(Cases))] public string Layer { get; set; } = "cnn.conv2 b64";

    private void Prepare()
    {
        _device = BenchDevices.Get(Device);
        var (name, batch) = BenchSizes.Split(Layer);
        _l = Layers.Single(l => l.Name == name);
        _n = batch;
        _oh = _l.H + 2 * _l.Pad - _l.K + 1;
        _ow = _l.W + 2 * _l.Pad - _l.K + 1;
        float bound = 1f / MathF.Sqrt(_l.C * _l.K * _l.K);   // PyTorch's default init range
        _xh = CounterRng.Uniform(21, _n * _l.C * _l.H * _l.W, -1f, 1f);
        _wh = CounterRng.Uniform(22, _l.Cout * _l.C * _l.K * _l.K, -bound, bound);
        _bh = _l.Bias ? CounterRng.Uniform(23, _l.Cout, -bound, bound) : new float[_l.Cout];
        _gyh = CounterRng.Uniform(24, _n * _l.Cout * _oh * _ow, -1f, 1f);
        _x = Tensor.FromArray(_device, _xh, _n, _l.C, _l.H, _l.W);
        _w = Tensor.FromArray(_device, _wh, _l.Cout, _l.C, _l.K, _l.K);
        _b = _l.Bias ? Tensor.FromArray(_device, _bh, _l.Cout) : null;
        _gy = Tensor.FromArray(_device, _gyh, _n, _l.Cout, _oh, _ow);
    }

    [GlobalSetup(Target = nameof(Forward))]
    public void SetupForward()
    {
        Prepare();
        float[] y;
        using (GradMode.NoGrad())
        using (TensorScope.Begin())
            y = _x.Conv2d(_w, _b, 1, _l.Pad).ToArray();
        Check("forward", y, _n * _l.Cout * _oh * _ow, OutputReference);
    }

    [GlobalSetup(Target = nameof(BackwardInput))]
    public void SetupBackwardInput()
    {
        Prepare();
        _x.RequiresGrad = true;
        _root = _x.Conv2d(_w, _b, 1, _l.Pad);
        _leaves = [_x];
        ReplayBackward();
        Check("backward-input", _x.Grad!.ToArray(), _xh.Length, InputGradReference);
    }

    [GlobalSetup(Target = nameof(BackwardWeight))]
    public void SetupBackwardWeight()
    {
        Prepare();
        _w.RequiresGrad = true;
        if (_b is not null) _b.RequiresGrad = true;
        _root = _x.Conv2d(_w, _b, 1, _l.Pad);
        _leaves = _b is null ? [_w] : [_w, _b];
        ReplayBackward();
        Check("backward-weight", _w.Grad!.ToArray(), _wh.Length, WeightGradReference);
        if (_b is not null) Check("backward-bias", _b.Grad!.ToArray(), _bh.Length, BiasGradReference);
    }

    /// <summary>Compares 48 sampled entries (the first and last among them) with the reference (value, Σ|terms|).</summary>
    private void Check(string pass, float[] got, int length, Func<int, (double Value, double Scale)> reference)
    {
        for (int s = 0; s < 48; s++)
        {
            int i = s == 0 ? 0 : s == 1 ? length - 1 : (int)(CounterRng.Hash(25, (ulong)s) % (ulong)length);
            var (value, scale) = reference(i);
            if (!(Math.Abs(got[i] - value) <= Tolerances.LongSumRel * scale + Tolerances.MatMulAbs))
                throw new InvalidOperationException(
                    $"conv2d {pass} {Layer} on {Device} disagrees with its reference at {i}: {got[i]} vs {value}");
        }
    }

    private double X(int n, int c, int h, int w) =>
        h >= 0 && h < _l.H && w >= 0 && w < _l.W ? _xh[((n * _l.C + c) * _l.H + h) * _l.W + w] : 0;

    private double Wt(int co, int c, int i, int j) => _wh[((co * _l.C + c) * _l.K + i) * _l.K + j];

    private double Gy(int n, int co, int oh, int ow) =>
        oh >= 0 && oh < _oh && ow >= 0 && ow < _ow ? _gyh[((n * _l.Cout + co) * _oh + oh) * _ow + ow] : 0;

    /// <summary>y[n, co, oh, ow] = b[co] + Σ_{c,i,j} x[n, c, oh − p + i, ow − p + j]·w[co, c, i, j].</summary>
    private (double, double) OutputReference(int t)
    {
        int ow = t % _ow, oh = t / _ow % _oh, co = t / (_ow * _oh) % _l.Cout, n = t / (_ow * _oh * _l.Cout);
        return Sum(_bh[co], _l.C, _l.K, _l.K, (c, i, j) => X(n, c, oh - _l.Pad + i, ow - _l.Pad + j) * Wt(co, c, i, j));
    }

    /// <summary>dx[n, c, h, w] = Σ_{co,i,j} dy[n, co, h + p − i, w + p − j]·w[co, c, i, j].</summary>
    private (double, double) InputGradReference(int t)
    {
        int w = t % _l.W, h = t / _l.W % _l.H, c = t / (_l.W * _l.H) % _l.C, n = t / (_l.W * _l.H * _l.C);
        return Sum(0, _l.Cout, _l.K, _l.K, (co, i, j) => Gy(n, co, h + _l.Pad - i, w + _l.Pad - j) * Wt(co, c, i, j));
    }

    /// <summary>dw[co, c, i, j] = Σ_{n,oh,ow} dy[n, co, oh, ow]·x[n, c, oh − p + i, ow − p + j].</summary>
    private (double, double) WeightGradReference(int t)
    {
        int j = t % _l.K, i = t / _l.K % _l.K, c = t / (_l.K * _l.K) % _l.C, co = t / (_l.K * _l.K * _l.C);
        return Sum(0, _n, _oh, _ow, (n, oh, ow) => Gy(n, co, oh, ow) * X(n, c, oh - _l.Pad + i, ow - _l.Pad + j));
    }

    /// <summary>db[co] = Σ_{n,oh,ow} dy[n, co, oh, ow].</summary>
    private (double, double) BiasGradReference(int co) => Sum(0, _n, _oh, _ow, (n, oh, ow) => Gy(n, co, oh, ow));

    /// <summary>start + Σ term(a, b, c) over [0, na) × [0, nb) × [0, nc), and the sum of the terms' magnitudes (the scale its rounding grows with).</summary>
    private static (double, double) Sum(double start, int na, int nb, int nc, Func<int, int, int, double> term)
    {
        double sum = start, scale = Math.Abs(start);
        for (int a = 0; a < na; a++)
        for (int b = 0; b < nb; b++)
        for (int c = 0; c < nc; c++)
        {
            double p = term(a, b, c);
            sum += p;
            scale += Math.Abs(p);
        }
        return (sum, scale);
    }

    /// <summary>Frees the last gradients (as the optimizer's ZeroGrad does) and back-propagates dy through the recorded conv.</summary>
    private void ReplayBackward()
    {
        foreach (var t in _leaves) t.ClearGrad();
        using (TensorScope.Begin()) _root!.Backward(_gy);
    }

    [Benchmark(Description = "forward")]
    public void Forward()
    {
        using (GradMode.NoGrad())
        using (TensorScope.Begin())
            _x.Conv2d(_w, _b, 1, _l.Pad);
        _device.Synchronize();
    }

    [Benchmark(Description = "backward-input")]
    public void BackwardInput()
    {
        ReplayBackward();
        _device.Synchronize();
    }

    [Benchmark(Description = "backward-weight")]
    public void BackwardWeight()
    {
        ReplayBackward();
        _device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in _leaves) t.ClearGrad();
        // The recorded graph (im2col matrix, matmul rows, views) holds device memory until disposed.
        if (_root is not null) foreach (var t in _root.TopologicalOrder()) t.Dispose();
        foreach (var t in new[] { _x, _w, _b, _gy }) t?.Dispose();
    }

    public (double, double, string) Work(BenchmarkCase b)
    {
        var (name, batch) = BenchSizes.Split((string)b.Parameters["Layer"]);
        var l = Layers.Single(x => x.Name == name);
        double outputs = (double)batch * l.Cout * (l.H + 2 * l.Pad - l.K + 1) * (l.W + 2 * l.Pad - l.K + 1);
        return (2 * outputs * l.C * l.K * l.K, 1e9, "GFLOP/s");
    }
}
