// Parameter updates on the device, following PyTorch's torch.optim update rules exactly.
// Every buffer is a flat view of n elements: parameter p, its gradient g, and the optimizer state.
//
// SGD (lr, momentum μ, dampening τ, weight decay λ, Nesterov):
//   d = g + λ·p
//   buf = d                              on a parameter's first step (PyTorch clones the gradient)
//   buf = μ·buf + (1 − τ)·d              afterwards
//   d = d + μ·buf  (Nesterov)  or  d = buf          (only when μ ≠ 0)
//   p = p − lr·d
// Adam / AdamW (lr, β1, β2, ε, weight decay λ; t = the parameter's step count, from 1):
//   Adam:  g = g + λ·p                   AdamW: p = p·(1 − lr·λ)        (decoupled decay)
//   m = β1·m + (1 − β1)·g     v = β2·v + (1 − β2)·g²
//   p = p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
// The bias corrections are computed on the host in double and passed as two scalars.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Activations.Kernels.Optim;

/// <summary>SGD hyper-parameters for one launch.</summary>
public readonly record struct SgdArgs(float LearningRate, float Momentum, float Dampening, float WeightDecay, int Nesterov, int FirstStep);

/// <summary>Adam hyper-parameters for one launch, bias corrections folded in.</summary>
public readonly record struct AdamArgs(float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay,
    int Decoupled, float StepSize, float SqrtBiasCorrection2);

public sealed class OptimizerKernels : IKernelFamily<OptimizerKernels>
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, SgdArgs, SpecializedValue<int>> _sgd;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, AdamArgs, SpecializedValue<int>> _adam;

    private OptimizerKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _sgd = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, SgdArgs, SpecializedValue<int>>(SgdKernel);
        _adam = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, AdamArgs, SpecializedValue<int>>(AdamKernel);
    }

    public static OptimizerKernels Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    private static void SgdKernel(ArrayView<float> p, ArrayView<float> g, ArrayView<float> buf, int n, SgdArgs a, SpecializedValue<int> oneItem) =>
        GridLoop.For(n, oneItem, new SgdAt(p, g, buf, a));

    private readonly record struct SgdAt(ArrayView<float> P, ArrayView<float> G, ArrayView<float> Buf, SgdArgs A) : IGridBody
    {
        public void Invoke(int i)
        {
            float d = G[i];
            if (A.WeightDecay != 0f) d += A.WeightDecay * P[i];
            if (A.Momentum != 0f)
            {
                float b = A.FirstStep != 0 ? d : A.Momentum * Buf[i] + (1f - A.Dampening) * d;
                Buf[i] = b;
                d = A.Nesterov != 0 ? d + A.Momentum * b : b;
            }
            P[i] -= A.LearningRate * d;
        }
    }

    private static void AdamKernel(ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, int n, AdamArgs a,
        SpecializedValue<int> oneItem) =>
        GridLoop.For(n, oneItem, new AdamAt(p, g, m, v, a));

    private readonly record struct AdamAt(ArrayView<float> P, ArrayView<float> G, ArrayView<float> M, ArrayView<float> V, AdamArgs A) : IGridBody
    {
        public void Invoke(int i)
        {
            float w = P[i], d = G[i];
            if (A.WeightDecay != 0f)
            {
                if (A.Decoupled != 0) w *= 1f - A.LearningRate * A.WeightDecay;
                else d += A.WeightDecay * w;
            }
            float mi = A.Beta1 * M[i] + (1f - A.Beta1) * d;
            float vi = A.Beta2 * V[i] + (1f - A.Beta2) * d * d;
            M[i] = mi;
            V[i] = vi;
            P[i] = w - A.StepSize * mi / (XMath.Sqrt(vi) / A.SqrtBiasCorrection2 + A.Epsilon);
        }
    }

    /// <summary>One SGD step; <paramref name="momentumBuffer"/> is ignored (may be any view) when μ = 0.</summary>
    public void Sgd(ArrayView<float> p, ArrayView<float> g, ArrayView<float> momentumBuffer, SgdArgs args)
    {
        int n = (int)p.Length;
        if (n > 0) _sgd(_plan.GridStride(n), p, g, momentumBuffer, n, args, _plan.OneItem);
    }

    /// <summary>One Adam/AdamW step for a parameter at step <paramref name="step"/> (counted from 1).</summary>
    public void Adam(ArrayView<float> p, ArrayView<float> g, ArrayView<float> expAvg, ArrayView<float> expAvgSq,
        float lr, float beta1, float beta2, float eps, float weightDecay, bool decoupled, long step)
    {
        int n = (int)p.Length;
        if (n == 0) return;
        double bc1 = 1 - Math.Pow(beta1, step), bc2 = 1 - Math.Pow(beta2, step);
        var args = new AdamArgs(lr, beta1, beta2, eps, weightDecay, decoupled ? 1 : 0, (float)(lr / bc1), (float)Math.Sqrt(bc2));
        _adam(_plan.GridStride(n), p, g, expAvg, expAvgSq, n, args, _plan.OneItem);
    }
}
