// Fused, numerically stable softmax cross-entropy over logits (N, C) with int labels (N), and the
// count of correct predictions, both without copying logits to the host.
//
//   lse_i  = m_i + log Σ_c exp(z_ic − m_i),   m_i = max_c z_ic          (log-sum-exp: no overflow)
//   q_c    = (1 − ε)·[c = y_i] + ε / C                                   (PyTorch label smoothing)
//   loss_i = lse_i − (1 − ε)·z_iy − (ε / C)·Σ_c z_ic
//   grad_ic = (exp(z_ic − lse_i) − q_c) · scale                          (scale = 1/N for the mean)
//   correct_i = [first argmax_c z_ic = y_i]
// A label outside [0, C) gives a NaN loss for its row (and NaN gradients), so it cannot pass
// unnoticed. One thread per row in a grid-stride loop: C is small (10 for MNIST).
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Activations.Kernels.Loss;

public sealed class SoftmaxCrossEntropyKernels : IKernelFamily<SoftmaxCrossEntropyKernels>
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float, float, int> _forward;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int> _correct;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> _scale;

    private SoftmaxCrossEntropyKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _forward = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float, float, int>(ForwardKernel);
        _correct = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int>(CorrectKernel);
        _scale = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ScaleKernel);
    }

    public static SoftmaxCrossEntropyKernels Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    /// <summary>rowLoss[i] = loss_i; with writeGrad ≠ 0 also grad[i, c] = (softmax − q)·gradScale.</summary>
    private static void ForwardKernel(ArrayView<float> logits, ArrayView<int> labels, ArrayView<float> rowLoss, ArrayView<float> grad,
        int n, int classes, float smoothing, float gradScale, int writeGrad) =>
        GridLoop.For(n, new ForwardAt(logits, labels, rowLoss, grad, classes, smoothing, smoothing / classes, gradScale, writeGrad));

    /// <summary>Row i; <paramref name="Off"/> = ε / C is q_c off the label, 1 − ε + ε / C on it.</summary>
    private readonly record struct ForwardAt(ArrayView<float> Logits, ArrayView<int> Labels, ArrayView<float> RowLoss, ArrayView<float> Grad,
        int Classes, float Smoothing, float Off, float GradScale, int WriteGrad) : IGridBody
    {
        public void Invoke(int i)
        {
            float off = Off, on = 1f - Smoothing + off;
            int row = i * Classes;
            float max = Logits[row];
            for (int c = 1; c < Classes; c++) max = XMath.Max(max, Logits[row + c]);
            float sum = 0f, sumZ = 0f;
            for (int c = 0; c < Classes; c++)
            {
                float z = Logits[row + c];
                sum += XMath.Exp(z - max);
                sumZ += z;
            }
            float lse = max + XMath.Log(sum);
            int y = Labels[i];
            bool valid = y >= 0 && y < Classes;
            RowLoss[i] = valid ? lse - (1f - Smoothing) * Logits[row + y] - off * sumZ : float.NaN;
            if (WriteGrad == 0) return;
            for (int c = 0; c < Classes; c++)
            {
                float q = c == y ? on : off;
                Grad[row + c] = valid ? (XMath.Exp(Logits[row + c] - lse) - q) * GradScale : float.NaN;
            }
        }
    }

    /// <summary>correct[i] = 1 when the first maximal logit of row i is at its label, else 0.</summary>
    private static void CorrectKernel(ArrayView<float> logits, ArrayView<int> labels, ArrayView<float> correct, int n, int classes) =>
        GridLoop.For(n, new CorrectAt(logits, labels, correct, classes));

    private readonly record struct CorrectAt(ArrayView<float> Logits, ArrayView<int> Labels, ArrayView<float> Correct, int Classes) : IGridBody
    {
        public void Invoke(int i)
        {
            int row = i * Classes, best = 0;
            for (int c = 1; c < Classes; c++)
                if (Logits[row + c] > Logits[row + best]) best = c;
            Correct[i] = best == Labels[i] ? 1f : 0f;
        }
    }

    /// <summary>y[i] = x[i]·s[0]: scales by a scalar that lives on the device (an upstream gradient).</summary>
    private static void ScaleKernel(ArrayView<float> x, ArrayView<float> s, ArrayView<float> y, int n) =>
        GridLoop.For(n, new ScaleAt(x, y, s[0]));

    private readonly record struct ScaleAt(ArrayView<float> X, ArrayView<float> Y, float S) : IGridBody
    {
        public void Invoke(int i) => Y[i] = X[i] * S;
    }

    /// <summary>Per-row losses (N); the gradient (N, C) too unless <paramref name="grad"/> is empty (default).</summary>
    public void Forward(ArrayView<float> logits, ArrayView<int> labels, ArrayView<float> rowLoss, ArrayView<float> grad,
        int n, int classes, float smoothing, float gradScale)
    {
        if (n == 0) return;
        bool writeGrad = grad.IsValid && grad.Length > 0;
        _forward(_plan.GridStride(n), logits, labels, rowLoss, writeGrad ? grad : rowLoss, n, classes, smoothing, gradScale, writeGrad ? 1 : 0);
    }

    public void Correct(ArrayView<float> logits, ArrayView<int> labels, ArrayView<float> correct, int n, int classes)
    {
        if (n > 0) _correct(_plan.GridStride(n), logits, labels, correct, n, classes);
    }

    /// <summary>y = x·scalar[0].</summary>
    public void ScaleByDeviceScalar(ArrayView<float> x, ArrayView<float> scalar, ArrayView<float> y)
    {
        int n = (int)x.Length;
        if (n > 0) _scale(_plan.GridStride(n), x, scalar, y, n);
    }
}
