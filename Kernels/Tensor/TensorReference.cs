// The scalar reference of the elementwise and reduction kernels (Elementwise.cs, Reductions.cs):
// broadcasting, axis sums and max in plain double. Written for clarity, not speed (row-major, NumPy rules).
namespace Activations.Kernels.Tensor;

public static class TensorReference
{
    public static int Length(int[] shape) => shape.Aggregate(1, (p, d) => p * d);

    /// <summary>NumPy broadcast of two shapes.</summary>
    public static int[] BroadcastShape(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var o = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1) throw new ArgumentException("not broadcastable");
            o[i] = da == 1 ? db : da;
        }
        return o;
    }

    /// <summary>The flat index into a tensor of shape <paramref name="src"/> that output element <paramref name="flat"/> reads.</summary>
    public static int SourceIndex(int[] output, int[] src, int flat)
    {
        int index = 0, stride = 1;
        for (int i = output.Length - 1, j = src.Length - 1; j >= 0; i--, j--)
        {
            int coord = flat % output[i];
            flat /= output[i];
            if (src[j] != 1) index += coord * stride;
            stride *= src[j];
        }
        return index;
    }

    /// <summary>z = op(a, b) with broadcasting.</summary>
    public static double[] Binary(double[] a, int[] sa, double[] b, int[] sb, Func<double, double, double> op)
    {
        var so = BroadcastShape(sa, sb);
        var z = new double[Length(so)];
        for (int i = 0; i < z.Length; i++) z[i] = op(a[SourceIndex(so, sa, i)], b[SourceIndex(so, sb, i)]);
        return z;
    }

    /// <summary>Sum over <paramref name="axes"/> (all when empty), in keep-dims layout; also Σ|x| of each sum.</summary>
    public static (double[] Sum, double[] Magnitude) Sum(double[] x, int[] shape, int[] axes)
    {
        var all = axes.Length == 0 ? Enumerable.Range(0, shape.Length).ToArray() : axes.Select(a => a < 0 ? a + shape.Length : a).ToArray();
        var kept = shape.Select((d, i) => all.Contains(i) ? 1 : d).ToArray();
        var sum = new double[Length(kept)];
        var mag = new double[sum.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int o = SourceIndex(shape, kept, i);
            sum[o] += x[i];
            mag[o] += Math.Abs(x[i]);
        }
        return (sum, mag);
    }

    /// <summary>Max along one axis and the first index attaining it; a NaN wins (the first NaN).</summary>
    public static (double[] Max, int[] Index) Max(double[] x, int[] shape, int axis)
    {
        int a = axis < 0 ? axis + shape.Length : axis;
        int outer = shape.Take(a).Aggregate(1, (p, d) => p * d);
        int red = shape[a];
        int inner = shape.Skip(a + 1).Aggregate(1, (p, d) => p * d);
        var max = new double[outer * inner];
        var idx = new int[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < inner; k++)
            {
                int best = 0;
                for (int r = 0; r < red; r++)
                {
                    double v = x[(o * red + r) * inner + k];
                    if (double.IsNaN(v)) { best = r; break; }
                    if (v > x[(o * red + best) * inner + k]) best = r;
                }
                max[o * inner + k] = x[(o * red + best) * inner + k];
                idx[o * inner + k] = best;
            }
        return (max, idx);
    }
}
