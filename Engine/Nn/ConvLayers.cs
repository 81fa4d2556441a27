// Convolutional building blocks: Conv2d, pooling, BatchNorm2d. Parameters are named as in PyTorch
// (conv1.weight (Cout, C, kh, kw), conv1.bias, bn1.weight, bn1.bias, bn1.running_mean, bn1.running_var).
namespace Activations.Engine.Nn;

/// <summary>2-D convolution over (N, C, H, W): square kernel, stride and zero padding.</summary>
public sealed class Conv2d : Module, IWeightedLayer
{
    public int InChannels { get; }
    public int OutChannels { get; }
    public int Kernel { get; }
    public int Stride { get; }
    public int Padding { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public int FanIn => InChannels * Kernel * Kernel;
    public int FanOut => OutChannels * Kernel * Kernel;

    public Conv2d(Device device, int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, bool bias = true)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0)
            throw new ArgumentOutOfRangeException(nameof(kernel),
                $"Conv2d({inChannels}→{outChannels}, kernel {kernel}, stride {stride}, padding {padding}): sizes must be positive");
        (InChannels, OutChannels, Kernel, Stride, Padding) = (inChannels, outChannels, kernel, stride, padding);
        Weight = AddParameter("weight", Tensor.Zeros(device, outChannels, inChannels, kernel, kernel));
        if (bias) Bias = AddParameter("bias", Tensor.Zeros(device, outChannels));
    }

    public override Tensor Forward(Tensor x) => x.Conv2d(Weight, Bias, Stride, Padding);
}

/// <summary>Max pooling (the window's argmax is kept for backward).</summary>
public sealed class MaxPool2d(int kernel, int stride = -1, int padding = 0) : Module
{
    public int Kernel => kernel;
    public int Stride => stride < 0 ? kernel : stride;
    public int Padding => padding;
    public override Tensor Forward(Tensor x) => x.MaxPool2d(kernel, stride, padding);
}

/// <summary>Average pooling (zero padding counted).</summary>
public sealed class AvgPool2d(int kernel, int stride = -1, int padding = 0) : Module
{
    public int Kernel => kernel;
    public int Stride => stride < 0 ? kernel : stride;
    public int Padding => padding;
    public override Tensor Forward(Tensor x) => x.AvgPool2d(kernel, stride, padding);
}

/// <summary>(N, C, H, W) → (N, C): the mean over each channel's plane.</summary>
public sealed class GlobalAvgPool : Module
{
    public override Tensor Forward(Tensor x) => x.GlobalAvgPool();
}

/// <summary>
/// Batch normalisation over channels (PyTorch's BatchNorm2d/1d): batch statistics while training,
/// running statistics in evaluation mode; γ = 1, β = 0 initially; momentum 0.1, ε = 1e-5.
/// </summary>
public sealed class BatchNorm : Module
{
    private readonly float _momentum, _eps;
    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }
    public float Epsilon => _eps;

    public BatchNorm(Device device, int channels, float momentum = 0.1f, float eps = 1e-5f)
    {
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), $"BatchNorm({channels}): channels must be positive");
        (_momentum, _eps) = (momentum, eps);
        Weight = AddParameter("weight", Tensor.Ones(device, channels));
        Bias = AddParameter("bias", Tensor.Zeros(device, channels));
        RunningMean = AddBuffer("running_mean", Tensor.Zeros(device, channels));
        RunningVar = AddBuffer("running_var", Tensor.Ones(device, channels));
    }

    public override Tensor Forward(Tensor x) => x.BatchNorm(Weight, Bias, RunningMean, RunningVar, IsTraining, _momentum, _eps);
}
