// The ops the layers are built on, in one place so that a faster implementation is a one-line swap.
//
// INTERIM: Linear is composed from broadcast primitives until Tensor.Linear/MatMul (branch
// h-matmul) lands; then Linear below becomes `Tensor.Linear(x, weight, bias)`.
//   y[n, o] = Σ_i x[n, i]·W[o, i] + b[o]
//   as (N, 1, in) * (1, out, in) → (N, out, in), summed over axis 2: O(N·out·in) memory.
namespace Activations.Engine.Nn;

public static class Functional
{
    /// <summary>y = x·Wᵀ + b; x (N, in), W (out, in), b (out) → (N, out).</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        int n = x.Shape[0], inF = x.Shape[1];
        var x3 = x.Reshape(n, 1, inF);
        var prod = x3 * weight;        // (N, out, in)
        var y = prod.Sum(2);           // (N, out)
        return bias is null ? y : y + bias;
    }
}
