// The ops the layers are built on, in one place so that swapping an implementation is one line.
namespace Activations.Engine.Nn;

public static class Functional
{
    /// <summary>y = x·Wᵀ + b; x (N, in), W (out, in), b (out) → (N, out). The tiled matmul with fused bias.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias) => Tensor.Linear(x, weight, bias);
}
