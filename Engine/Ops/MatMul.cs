// Matrix products and the fully connected layer, forward and backward side by side. Transposes are
// never materialised: the kernels in Kernels/MatMul read either layout, so every gradient is one
// more matmul launch, accumulated straight into an existing gradient when there is one.
//
//   C = op(A)·op(B)           ∂op(A) = g·op(B)ᵀ            ∂op(B) = op(A)ᵀ·g
//   y = x·Wᵀ + b  (Linear)    ∂x = g·W    ∂W = gᵀ·x    ∂b = Σ_rows g
using Activations.Kernels.MatMul;
using ILGPU;

namespace Activations.Engine;

public sealed partial class Tensor
{
    /// <summary>
    /// op(a)·op(b) for 2-D tensors, where op transposes when asked: a (M, K) or (K, M) when
    /// <paramref name="transposeA"/>; b (K, N) or (N, K) when <paramref name="transposeB"/>. Result (M, N).
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false)
    {
        var (m, n, k) = MatMulSizes(a, b, transposeA, transposeB, "matmul");
        var c = new Tensor(a.Device, new Shape(m, n));
        a.Device.Kernels.Get<MatMulKernels>().MatMul(a.View, b.View, c.View, m, n, k, transposeA, transposeB);
        return c.Record("matmul", [a, b], g =>
        {
            // A stored (M, K): ∂A = g·op(B)ᵀ.   A stored (K, M): ∂A = (g·op(B)ᵀ)ᵀ = op(B)·gᵀ.
            if (transposeA) a.AccumulateMatMul(b, g, transposeB, true);
            else a.AccumulateMatMul(g, b, false, !transposeB);
            // B stored (K, N): ∂B = op(A)ᵀ·g.   B stored (N, K): ∂B = (op(A)ᵀ·g)ᵀ = gᵀ·op(A).
            if (transposeB) b.AccumulateMatMul(g, a, true, transposeA);
            else b.AccumulateMatMul(a, g, !transposeA, false);
        }, a, b);
    }

    /// <summary>
    /// The fully connected layer in PyTorch's layout: x (N, in), weight (out, in), bias (out) or
    /// null; y = x·Wᵀ + b (N, out), with the bias added by the matmul kernel itself.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        var (m, n, k) = MatMulSizes(x, weight, false, true, "linear");
        if (bias is not null)
        {
            SameDevice(x, bias, "linear");
            if (bias.Rank != 1 || bias.Length != n)
                throw new ArgumentException($"linear: bias {bias.Describe()} must have shape [{n}] to match weight {weight.Describe()}");
        }
        var y = new Tensor(x.Device, new Shape(m, n));
        x.Device.Kernels.Get<MatMulKernels>().MatMul(x.View, weight.View, y.View, m, n, k, false, true,
            bias is null ? default : bias.View);
        Tensor[] parents = bias is null ? [x, weight] : [x, weight, bias];
        return y.Record("linear", parents, g =>
        {
            x.AccumulateMatMul(g, weight, false, false);   // ∂x (N, in)  = g (N, out) · W (out, in)
            weight.AccumulateMatMul(g, x, true, false);    // ∂W (out, in) = gᵀ (out, N) · x (N, in)
            bias?.AccumulateRowSum(g);                      // ∂b (out) = Σ_rows g
        }, x, weight);
    }

    /// <summary>Grad += the sum of <paramref name="g"/>'s rows (a bias's gradient: g is (rows, this length)).</summary>
    internal void AccumulateRowSum(Tensor g)
    {
        if (!RequiresGrad) return;
        var db = ReduceSum(g, [0], 1f);                     // (1, length)
        var shaped = db.ViewAs(Shape);
        db.Dispose();
        AccumulateGrad(shaped, owned: true);
    }

    /// <summary>(M, N, K) of op(a)·op(b), or an error naming both shapes.</summary>
    private static (int M, int N, int K) MatMulSizes(Tensor a, Tensor b, bool transposeA, bool transposeB, string op)
    {
        SameDevice(a, b, op);
        string Desc(Tensor t, bool tr) => t.Describe() + (tr ? " (transposed)" : "");
        if (a.Rank != 2 || b.Rank != 2)
            throw new ArgumentException($"{op} needs 2-D tensors; got {Desc(a, transposeA)} and {Desc(b, transposeB)}");
        int m = transposeA ? a.Shape[1] : a.Shape[0], ka = transposeA ? a.Shape[0] : a.Shape[1];
        int kb = transposeB ? b.Shape[1] : b.Shape[0], n = transposeB ? b.Shape[0] : b.Shape[1];
        if (ka != kb)
            throw new ArgumentException($"{op}: inner dimensions differ: {Desc(a, transposeA)} gives ({m}, {ka}) but {Desc(b, transposeB)} gives ({kb}, {n})");
        return (m, n, ka);
    }

    /// <summary>Grad += op(x)·op(y), in place when a gradient exists already.</summary>
    private void AccumulateMatMul(Tensor x, Tensor y, bool transposeX, bool transposeY)
    {
        int m = Shape[0], n = Shape[1], k = transposeX ? x.Shape[0] : x.Shape[1];
        var kernels = Device.Kernels.Get<MatMulKernels>();
        AccumulateProduct((g, accumulate) => kernels.MatMul(x.View, y.View, g, m, n, k, transposeX, transposeY, accumulate: accumulate));
    }

    /// <summary>
    /// Grad += a product that <paramref name="product"/> writes into its view (adding to it when told
    /// to), in place when a gradient exists already; nothing runs where no gradient is wanted.
    /// </summary>
    internal void AccumulateProduct(Action<ArrayView<float>, bool> product)
    {
        if (!RequiresGrad) return;
        if (Grad is not null)
        {
            product(Grad.View, true);
            return;
        }
        var g = new Tensor(Device, Shape);
        product(g.View, false);
        AccumulateGrad(g, owned: true);
    }
}
