// The scalar reference of the softmax cross-entropy kernels, in double (PyTorch's
// cross_entropy(logits, labels, label_smoothing=ε, reduction="mean")).
//
//   q_c    = (1 − ε)·[c = y] + ε / C                       smoothed one-hot target
//   loss_i = lse(z_i) − Σ_c q_c·z_ic                       = −Σ_c q_c·log softmax(z_i)_c
//   loss   = (1/N) Σ_i loss_i        ∂loss/∂z_ic = (softmax(z_i)_c − q_c) / N
namespace Activations.Kernels.Loss;

public static class SoftmaxCrossEntropyReference
{
    /// <summary>The mean loss and its gradient (N, C) over logits (N, C) and labels (N).</summary>
    public static (double Loss, double[] Grad) Compute(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, int classes,
        double smoothing = 0)
    {
        int n = labels.Length;
        var grad = new double[n * classes];
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            var z = logits.Slice(i * classes, classes);
            double max = double.NegativeInfinity;
            foreach (var v in z) max = Math.Max(max, v);
            double sum = 0;
            foreach (var v in z) sum += Math.Exp(v - max);
            double lse = max + Math.Log(sum);
            for (int c = 0; c < classes; c++)
            {
                double q = smoothing / classes + (c == labels[i] ? 1 - smoothing : 0);
                total += q * (lse - z[c]);
                grad[i * classes + c] = (Math.Exp(z[c] - lse) - q) / n;
            }
        }
        return (total / n, grad);
    }

    /// <summary>How many rows have their first maximal logit at the label.</summary>
    public static int CorrectCount(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes)
    {
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            int best = 0;
            for (int c = 1; c < classes; c++)
                if (logits[i * classes + c] > logits[i * classes + best]) best = c;
            if (best == labels[i]) correct++;
        }
        return correct;
    }
}
