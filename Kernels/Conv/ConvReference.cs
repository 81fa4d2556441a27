// The scalar reference of conv2d (im2col → matmul → bias in ConvKernels and Engine/Ops/Conv.cs):
// the direct seven-deep loop in double, NCHW input, (Cout, C, k, k) weight, zero padding.
//
//   y[b, o, i, j] = bias[o] + Σ_{ch, u, v} x[b, ch, i·s − p + u, j·s − p + v] · w[o, ch, u, v]
namespace Activations.Kernels.Conv;

public static class ConvReference
{
    /// <summary>conv2d of x (n, c, h, wd) with w (cout, c, k, k), stride s, padding p; y is (n, cout, oh, ow).</summary>
    public static double[] Conv2d(double[] x, double[] w, double[]? b, int n, int c, int h, int wd, int cout, int k, int s, int p)
    {
        int oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1;
        var y = new double[n * cout * oh * ow];
        for (int bi = 0; bi < n; bi++)
        for (int o = 0; o < cout; o++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            double acc = b?[o] ?? 0;
            for (int ch = 0; ch < c; ch++)
            for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++)
            {
                int hh = i * s - p + u, ww = j * s - p + v;
                if (hh < 0 || hh >= h || ww < 0 || ww >= wd) continue;
                acc += x[((bi * c + ch) * h + hh) * wd + ww] * w[((o * c + ch) * k + u) * k + v];
            }
            y[((bi * cout + o) * oh + i) * ow + j] = acc;
        }
        return y;
    }

    /// <summary>conv2d's gradients for upstream <paramref name="dy"/> (n, cout, oh, ow): ∂x, ∂w and ∂bias.</summary>
    public static (double[] Dx, double[] Dw, double[] Db) Conv2dBackward(double[] x, double[] w, double[] dy,
        int n, int c, int h, int wd, int cout, int k, int s, int p)
    {
        int oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1;
        var dx = new double[x.Length];
        var dw = new double[w.Length];
        var db = new double[cout];
        for (int bi = 0; bi < n; bi++)
        for (int o = 0; o < cout; o++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            double g = dy[((bi * cout + o) * oh + i) * ow + j];
            db[o] += g;
            for (int ch = 0; ch < c; ch++)
            for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++)
            {
                int hh = i * s - p + u, ww = j * s - p + v;
                if (hh < 0 || hh >= h || ww < 0 || ww >= wd) continue;
                int xi = ((bi * c + ch) * h + hh) * wd + ww, wi = ((o * c + ch) * k + u) * k + v;
                dx[xi] += g * w[wi];
                dw[wi] += g * x[xi];
            }
        }
        return (dx, dw, db);
    }
}
