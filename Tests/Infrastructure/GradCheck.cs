// Finite-difference gradient checks in double precision: the engine's analytic float32 gradients
// are compared with central differences of an independent double-precision reference function.
using Activations.Kernels;
using Activations.Engine;

namespace Activations.Tests.Infrastructure;

public static class GradCheck
{
    /// <summary>
    /// Checks d(reference)/d(inputs[k]) against the gradients the engine computes for
    /// <paramref name="engine"/> (which must return a scalar tensor) on every input.
    /// </summary>
    public static void Check(Device device, double[][] inputs, int[][] shapes,
        Func<Tensor[], Tensor> engine, Func<double[][], double> reference,
        double h = 1e-5, double rel = Tolerances.GradRel, double abs = Tolerances.GradAbs, bool[]? requiresGrad = null)
    {
        using var scope = TensorScope.Begin();
        var tensors = new Tensor[inputs.Length];
        for (int k = 0; k < inputs.Length; k++)
        {
            tensors[k] = Tensor.FromArray(device, Array.ConvertAll(inputs[k], v => (float)v), shapes[k]);
            tensors[k].RequiresGrad = requiresGrad?[k] ?? true;
        }
        // Evaluate the reference at the float32-rounded inputs the engine sees.
        var x = inputs.Select(a => a.Select(v => (double)(float)v).ToArray()).ToArray();
        var loss = engine(tensors);
        Assert.Equal(1, loss.Length);
        loss.Backward();
        for (int k = 0; k < inputs.Length; k++)
        {
            if (!(requiresGrad?[k] ?? true)) continue;
            Assert.NotNull(tensors[k].Grad);
            var analytic = tensors[k].Grad!.ToArray();
            var numeric = new double[x[k].Length];
            for (int i = 0; i < x[k].Length; i++)
            {
                double keep = x[k][i];
                x[k][i] = keep + h;
                double fp = reference(x);
                x[k][i] = keep - h;
                double fm = reference(x);
                x[k][i] = keep;
                numeric[i] = (fp - fm) / (2 * h);
            }
            Expect.Close(analytic, numeric, rel, abs, $"grad of input {k}");
        }
    }
}
