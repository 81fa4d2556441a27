// An activation as a layer: fixed parameters (a constant), or learnable ones — one set per layer, or
// one per channel (features of a (N, C) input, channels of a (N, C, H, W) input: axis 1). Learnable
// parameters are one tensor named "alpha" (one parameter, the common case) or "parameters"
// (several, parameter-major); fixed ones are not a parameter (the run's config records them).
// A parameter with a lower bound for learning (α > 0 of ELU, TaLU, ExLU: ExLU divides by α, and
// with α < 0 its exp overflows) is projected back to that bound after every optimizer step.
using Activations.Kernels.Activations;

namespace Activations.Engine.Nn;

public sealed class ActivationLayer : Module
{
    private readonly Tensor _alpha;
    private readonly int _channels;

    public ActivationInfo Activation { get; }
    public bool Learnable { get; }

    /// <summary>The parameter tensor: shape (1) or (C) for one parameter; (P) or (P, C) for P of them.</summary>
    public Tensor Alpha => _alpha;

    /// <param name="alpha">Initial value of the first parameter (NaN: its default); the others start at their defaults.</param>
    /// <param name="channels">0 for one set per layer; otherwise one set per channel (needs learnable).</param>
    public ActivationLayer(Device device, ActivationInfo activation, float alpha = float.NaN, bool learnable = false, int channels = 0)
        : this(device, activation, activation.WithFirst(alpha), learnable, channels)
    {
    }

    /// <param name="values">Initial value of every parameter, in order.</param>
    public ActivationLayer(Device device, ActivationInfo activation, float[] values, bool learnable = false, int channels = 0)
    {
        if (values.Length != activation.Parameters.Count)
            throw new ArgumentException($"{activation.Name} has {activation.Parameters.Count} parameters; got {values.Length} values");
        for (int k = 0; k < values.Length; k++) activation.Validate(k, values[k]);
        if (learnable && !activation.HasLearnableParameter)
            throw new ArgumentException($"{activation.Name} has no parameter to learn");
        if (channels < 0) throw new ArgumentOutOfRangeException(nameof(channels), $"channels must be ≥ 0; got {channels}");
        Activation = activation;
        Learnable = learnable;
        _channels = Math.Max(1, channels);
        int count = values.Length;
        var data = count == 0 ? [0f] : values.SelectMany(v => Enumerable.Repeat(v, _channels)).ToArray();
        int[] shape = count <= 1 ? [channels == 0 ? 1 : channels] : channels == 0 ? [count] : [count, channels];
        var t = Tensor.FromArray(device, data, shape);
        if (learnable)
        {
            _alpha = AddParameter(count == 1 ? "alpha" : "parameters", t);
        }
        else
        {
            t.KeepAlive = true;
            t.Name = "alpha (fixed)";
            _alpha = t;
        }
    }

    public override Tensor Forward(Tensor x) => x.Activate(Activation, _alpha, channelAxis: 1);

    /// <summary>Keeps each learnable parameter with a LearnedMin at or above it (call after each optimizer step).</summary>
    public void Project()
    {
        if (!Learnable) return;
        for (int k = 0; k < Activation.Parameters.Count; k++)
        {
            float min = Activation.Parameters[k].LearnedMin;
            if (!float.IsNaN(min))
                _alpha.Device.Kernels.Get<Kernels.Tensor.AffineKernels>().ClampMin(_alpha.View.SubView(k * _channels, _channels), min);
        }
    }

    public override void Dispose()
    {
        if (!Learnable) _alpha.Dispose();
        base.Dispose();
    }
}
