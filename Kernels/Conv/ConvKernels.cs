// Convolution as matrix multiplication (im2col), and the layout moves around it.
//
//   im2col:  cols[(n, oh, ow), (c, i, j)] = x[n, c, oh·s − p + i, ow·s − p + j]   (0 outside)
//            cols is (N·Ho·Wo, C·kh·kw), so conv rows = cols · Wᵀ with W (Cout, C·kh·kw) (PyTorch layout)
//   col2im:  dx[n, c, h, w] = Σ_{i, j : (h + p − i) and (w + p − j) divisible by s, in range}
//                             dcols[(n, (h + p − i)/s, (w + p − j)/s), (c, i, j)]
//            a gather (one thread per input element): deterministic, no atomics.
//   transpose3: y[b, c, r] = x[b, r, c] — rows (N, Ho·Wo, Cout) ↔ NCHW (N, Cout, Ho·Wo).
using ILGPU;
using ILGPU.Runtime;

namespace Activations.Kernels.Conv;

public sealed class ConvKernels : IKernelFamily<ConvKernels>
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ConvGeometry> _im2col;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ConvGeometry> _col2im;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int> _transpose3;

    private ConvKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _im2col = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ConvGeometry>(Im2ColKernel);
        _col2im = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ConvGeometry>(Col2ImKernel);
        _transpose3 = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int, int>(Transpose3Kernel);
    }

    public static ConvKernels Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    private static void Im2ColKernel(ArrayView<float> x, ArrayView<float> cols, ConvGeometry g)
    {
        int oh = g.OutH, ow = g.OutW, patch = g.Patch;
        int total = g.Rows * patch;
        int stride = Grid.DimX * Group.DimX;
        for (int t = Grid.GlobalIndex.X; t < total; t += stride)
        {
            int q = t % patch;
            int row = t / patch;
            int j = q % g.KW;
            int i = q / g.KW % g.KH;
            int c = q / (g.KW * g.KH);
            int owi = row % ow;
            int ohi = row / ow % oh;
            int n = row / (ow * oh);
            int h = ohi * g.Stride - g.Pad + i;
            int w = owi * g.Stride - g.Pad + j;
            cols[t] = h >= 0 && h < g.H && w >= 0 && w < g.W ? x[((n * g.C + c) * g.H + h) * g.W + w] : 0f;
        }
    }

    private static void Col2ImKernel(ArrayView<float> cols, ArrayView<float> dx, ConvGeometry g)
    {
        int oh = g.OutH, ow = g.OutW, patch = g.Patch;
        int total = g.N * g.C * g.H * g.W;
        int stride = Grid.DimX * Group.DimX;
        for (int t = Grid.GlobalIndex.X; t < total; t += stride)
        {
            int w = t % g.W;
            int h = t / g.W % g.H;
            int c = t / (g.W * g.H) % g.C;
            int n = t / (g.W * g.H * g.C);
            float acc = 0f;
            for (int i = 0; i < g.KH; i++)
            {
                int ohi = ConvGeometry.OutputFor(h, i, g.Pad, g.Stride, oh);
                if (ohi < 0) continue;
                for (int j = 0; j < g.KW; j++)
                {
                    int owi = ConvGeometry.OutputFor(w, j, g.Pad, g.Stride, ow);
                    if (owi < 0) continue;
                    int row = (n * oh + ohi) * ow + owi;
                    acc += cols[row * patch + (c * g.KH + i) * g.KW + j];
                }
            }
            dx[t] = acc;
        }
    }

    private static void Transpose3Kernel(ArrayView<float> x, ArrayView<float> y, int batch, int rows, int columns)
    {
        int total = batch * rows * columns;
        int stride = Grid.DimX * Group.DimX;
        for (int t = Grid.GlobalIndex.X; t < total; t += stride)
        {
            // t indexes the output y[b, c, r]: consecutive threads write consecutive r.
            int r = t % rows;
            int c = t / rows % columns;
            int b = t / (rows * columns);
            y[t] = x[(b * rows + r) * columns + c];
        }
    }

    /// <summary>x (N, C, H, W) → cols (N·Ho·Wo, C·kh·kw).</summary>
    public void Im2Col(ArrayView<float> x, ArrayView<float> cols, ConvGeometry g) =>
        _im2col(_plan.GridStride((long)g.Rows * g.Patch), x, cols, g);

    /// <summary>dcols (N·Ho·Wo, C·kh·kw) → dx (N, C, H, W), overwriting dx.</summary>
    public void Col2Im(ArrayView<float> cols, ArrayView<float> dx, ConvGeometry g) =>
        _col2im(_plan.GridStride((long)g.N * g.C * g.H * g.W), cols, dx, g);

    /// <summary>y[b, c, r] = x[b, r, c] for x of shape (batch, rows, columns).</summary>
    public void Transpose3(ArrayView<float> x, ArrayView<float> y, int batch, int rows, int columns)
    {
        long total = (long)batch * rows * columns;
        if (total > 0) _transpose3(_plan.GridStride(total), x, y, batch, rows, columns);
    }

    // ---- scalar references (double) ----

    public static double[] Im2ColReference(ReadOnlySpan<float> x, ConvGeometry g)
    {
        var cols = new double[g.Rows * g.Patch];
        for (int n = 0; n < g.N; n++)
        for (int ohi = 0; ohi < g.OutH; ohi++)
        for (int owi = 0; owi < g.OutW; owi++)
        for (int c = 0; c < g.C; c++)
        for (int i = 0; i < g.KH; i++)
        for (int j = 0; j < g.KW; j++)
        {
            int h = ohi * g.Stride - g.Pad + i, w = owi * g.Stride - g.Pad + j;
            int row = (n * g.OutH + ohi) * g.OutW + owi;
            cols[row * g.Patch + (c * g.KH + i) * g.KW + j] =
                h >= 0 && h < g.H && w >= 0 && w < g.W ? x[((n * g.C + c) * g.H + h) * g.W + w] : 0;
        }
        return cols;
    }

    /// <summary>The adjoint of im2col: scatter-adds every column entry back to its input pixel.</summary>
    public static double[] Col2ImReference(ReadOnlySpan<float> cols, ConvGeometry g)
    {
        var dx = new double[g.N * g.C * g.H * g.W];
        for (int n = 0; n < g.N; n++)
        for (int ohi = 0; ohi < g.OutH; ohi++)
        for (int owi = 0; owi < g.OutW; owi++)
        for (int c = 0; c < g.C; c++)
        for (int i = 0; i < g.KH; i++)
        for (int j = 0; j < g.KW; j++)
        {
            int h = ohi * g.Stride - g.Pad + i, w = owi * g.Stride - g.Pad + j;
            if (h < 0 || h >= g.H || w < 0 || w >= g.W) continue;
            int row = (n * g.OutH + ohi) * g.OutW + owi;
            dx[((n * g.C + c) * g.H + h) * g.W + w] += cols[row * g.Patch + (c * g.KH + i) * g.KW + j];
        }
        return dx;
    }
}
