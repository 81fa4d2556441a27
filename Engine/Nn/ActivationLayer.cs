// An activation as a layer: fixed α (a constant), or learnable α — one per layer, or one per
// channel (features of a (N, C) input, channels of a (N, C, H, W) input: axis 1). A learnable α is a
// parameter named "alpha"; a fixed one is not a parameter (the run's config records it).
// ELU, TaLU and ExLU are defined for α > 0 only (ExLU divides by α; with α < 0 its exp overflows),
// so after every optimizer step a learnable α of theirs is projected back to α ≥ MinLearnedAlpha.
namespace Activations.Engine.Nn;

public sealed class ActivationLayer : Module
{
    private readonly Tensor _alpha;

    public ActivationKind Kind { get; }
    public bool Learnable { get; }

    /// <summary>The α tensor: shape (1), or (channels) when per channel.</summary>
    public Tensor Alpha => _alpha;

    /// <param name="alpha">Initial α (NaN: the activation's default).</param>
    /// <param name="channels">0 for one α for the layer; otherwise one α per channel (needs learnable).</param>
    public ActivationLayer(Device device, ActivationKind kind, float alpha = float.NaN, bool learnable = false, int channels = 0)
    {
        float a = float.IsNaN(alpha) ? ActivationCatalog.DefaultParameter(kind) : alpha;
        ActivationCatalog.Validate(kind, a);
        if (learnable && !ActivationCatalog.HasParameter(kind))
            throw new ArgumentException($"{ActivationCatalog.Name(kind)} has no parameter to learn");
        if (channels < 0) throw new ArgumentOutOfRangeException(nameof(channels), $"channels must be ≥ 0; got {channels}");
        Kind = kind;
        Learnable = learnable;
        var t = Tensor.Full(device, a, channels == 0 ? 1 : channels);
        if (learnable)
        {
            _alpha = AddParameter("alpha", t);
        }
        else
        {
            t.KeepAlive = true;
            t.Name = "alpha (fixed)";
            _alpha = t;
        }
    }

    /// <summary>The smallest value a learnable α of ELU, TaLU or ExLU keeps after a step.</summary>
    public const float MinLearnedAlpha = 0.01f;

    public override Tensor Forward(Tensor x) => x.Activate(Kind, _alpha, channelAxis: 1);

    /// <summary>Keeps a learnable α of ELU, TaLU or ExLU ≥ MinLearnedAlpha (call after each optimizer step).</summary>
    public void Project()
    {
        if (Learnable && Kind is ActivationKind.ELU or ActivationKind.TaLU or ActivationKind.ExLU)
            _alpha.Device.Kernels.Get<Kernels.Tensor.AffineKernels>().ClampMin(_alpha.View, MinLearnedAlpha);
    }

    public override void Dispose()
    {
        if (!Learnable) _alpha.Dispose();
        base.Dispose();
    }
}
