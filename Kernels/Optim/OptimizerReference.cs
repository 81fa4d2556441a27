// The scalar reference of the optimizer kernels (OptimizerKernels.cs): PyTorch's torch.optim update
// rules for one parameter and one step, in double, updating p and the state in place.
namespace Activations.Kernels.Optim;

public static class OptimizerReference
{
    /// <summary>torch.optim.SGD at 1-based <paramref name="step"/>; <paramref name="buf"/> is the momentum buffer.</summary>
    public static void Sgd(double[] p, ReadOnlySpan<double> g, double[] buf, long step,
        double lr, double momentum, double dampening, double weightDecay, bool nesterov)
    {
        for (int i = 0; i < p.Length; i++)
        {
            double d = g[i] + weightDecay * p[i];
            if (momentum != 0)
            {
                buf[i] = step == 1 ? d : momentum * buf[i] + (1 - dampening) * d;
                d = nesterov ? d + momentum * buf[i] : buf[i];
            }
            p[i] -= lr * d;
        }
    }

    /// <summary>torch.optim.Adam (L2 decay) or AdamW (<paramref name="decoupled"/>) at 1-based step <paramref name="t"/>; m = exp_avg, v = exp_avg_sq.</summary>
    public static void Adam(double[] p, ReadOnlySpan<double> g, double[] m, double[] v, long t,
        double lr, double beta1, double beta2, double eps, double weightDecay, bool decoupled)
    {
        double bc1 = 1 - Math.Pow(beta1, t), bc2 = 1 - Math.Pow(beta2, t);
        for (int i = 0; i < p.Length; i++)
        {
            double gi = g[i];
            if (decoupled) p[i] *= 1 - lr * weightDecay;
            else gi += weightDecay * p[i];
            m[i] = beta1 * m[i] + (1 - beta1) * gi;
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
            p[i] -= lr / bc1 * m[i] / (Math.Sqrt(v[i]) / Math.Sqrt(bc2) + eps);
        }
    }
}
