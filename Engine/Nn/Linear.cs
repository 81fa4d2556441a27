// A fully connected layer: y = x·Wᵀ + b, x (N, in), W (out, in), b (out) → y (N, out).
// Parameters start at zero; Init.Apply fills them (PyTorch's default unless told otherwise).
namespace Activations.Engine.Nn;

public sealed class Linear : Module, IWeightedLayer
{
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; } // (out, in)
    public Tensor? Bias { get; }  // (out)
    public int FanIn => InFeatures;
    public int FanOut => OutFeatures;

    public Linear(Device device, int inFeatures, int outFeatures, bool bias = true)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear({inFeatures}, {outFeatures}): sizes must be positive");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = AddParameter("weight", Tensor.Zeros(device, outFeatures, inFeatures));
        if (bias) Bias = AddParameter("bias", Tensor.Zeros(device, outFeatures));
    }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 2 || x.Shape[1] != InFeatures)
            throw new ArgumentException($"Linear({InFeatures}→{OutFeatures}) expects (N, {InFeatures}); got {x.Describe()}");
        return Tensor.Linear(x, Weight, Bias);
    }
}
