// Convolution as matrix multiplication (im2col), and the layout moves around it.
//
//   im2col:  cols[(n, oh, ow), (c, i, j)] = x[n, c, oh·s − p + i, ow·s − p + j]   (0 outside)
//            cols is (N·Ho·Wo, C·kh·kw), so conv rows = cols · Wᵀ with W (Cout, C·kh·kw) (PyTorch layout)
//            It also writes the same values straight in the packed matmul's layouts (strips of 8 rows,
//            panels of 8 columns), so that the convolution's products skip the matrix and its packing.
//   col2im:  dx[n, c, h, w] = Σ_{i, j : (h + p − i) and (w + p − j) divisible by s, in range}
//                             dcols[(n, (h + p − i)/s, (w + p − j)/s), (c, i, j)]
//            a gather (one work-item per input row): deterministic, no atomics.
//   transpose3: y[b, c, r] = x[b, r, c] — rows (N, Ho·Wo, Cout) ↔ NCHW (N, Cout, Ho·Wo).
using ILGPU;
using ILGPU.Runtime;

namespace Activations.Kernels.Conv;

public sealed class ConvKernels : IKernelFamily<ConvKernels>
{
    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ConvGeometry, SpecializedValue<int>> _im2col;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ConvGeometry> _col2im;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int, int> _transpose3;

    private ConvKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _im2col = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ConvGeometry, SpecializedValue<int>>(Im2ColKernel);
        _col2im = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ConvGeometry>(Col2ImKernel);
        _transpose3 = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int, int, int>(Transpose3Kernel);
    }

    public static ConvKernels Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    // Each kernel gives a work-item a whole line of its output and derives the line's coordinates
    // once (integer division is slow on CPUs, and PoCL cannot vectorise it away); the loops along
    // the line are additions only. One element per work-item, with six divisions each, made
    // im2col + col2im of the MNIST CNN's conv2 cost more per step than its three matmuls.

    // How im2col lays out cols (row r, column q): as a matrix, or as the packed matmul's operands.
    private const int AsMatrix = 0, AsStrips = 1, AsPanels = 2;

    /// <summary>
    /// Work-item u of N·C·Ho writes cols for channel c of output row (n, oh): Wo·kh·kw values, at
    /// r·patch + q (<see cref="AsMatrix"/>), in strips of 8 rows ((r / 8)·patch + q)·8 + r % 8
    /// (<see cref="AsStrips"/>, the packed A of cols·Wᵀ), or in panels of 8 columns
    /// ((q / 8)·rows + r)·8 + q % 8 (<see cref="AsPanels"/>, the packed B of gᵀ·cols); packed, the
    /// strip or panel past the last row or column is completed with zeros.
    /// </summary>
    /// <remarks>The layout is a compile-time constant (one kernel per layout), so each address is plain arithmetic.</remarks>
    private static void Im2ColKernel(ArrayView<float> x, ArrayView<float> cols, ConvGeometry g, SpecializedValue<int> layout) =>
        GridLoop.For(g.N * g.C * g.OutH, new Im2ColAt(x, cols, g, g.OutH, g.OutW, layout.Value));

    private readonly record struct Im2ColAt(ArrayView<float> X, ArrayView<float> Cols, ConvGeometry G, int OutH, int OutW, int Layout) : IGridBody
    {
        public void Invoke(int u)
        {
            var g = G;
            int oh = OutH, ow = OutW, taps = g.KH * g.KW;
            int c = u % g.C, r = u / g.C;
            int ohi = r % oh, n = r / oh;
            int plane = (n * g.C + c) * g.H;
            int row = (n * oh + ohi) * ow;
            int end = Layout == AsStrips && r == g.N * oh - 1 ? ow + ((8 - (g.Rows & 7)) & 7) : ow;
            int endColumn = Layout == AsPanels && c == g.C - 1 ? (g.Patch + 7) / 8 * 8 : (c + 1) * taps;
            for (int owi = 0; owi < end; owi++, row++)
            {
                int q = c * taps;
                int w0 = owi * g.Stride - g.Pad;
                for (int i = 0; i < g.KH; i++)
                {
                    int h = ohi * g.Stride - g.Pad + i;
                    bool rowIn = h >= 0 && h < g.H && owi < ow;
                    int xRow = (plane + h) * g.W;
                    for (int j = 0; j < g.KW; j++, q++)
                    {
                        int w = w0 + j;
                        Cols[At(row, q)] = rowIn && w >= 0 && w < g.W ? X[xRow + w] : 0f;
                    }
                }
                for (; q < endColumn; q++) Cols[At(row, q)] = 0f;
            }
        }

        private int At(int row, int q) => Layout switch
        {
            AsMatrix => row * G.Patch + q,
            AsStrips => ((row >> 3) * G.Patch + q) * 8 + (row & 7),
            _ => ((q >> 3) * G.Rows + row) * 8 + (q & 7),
        };
    }

    /// <summary>
    /// Work-item u of N·C·H gathers input row (n, c, h) of dx. Taps (i, j) in order, each adding
    /// its column of dcols along the row: every dx element still sums its taps in (i, j) order,
    /// and the inner loop walks output columns with no division for any stride.
    /// </summary>
    private static void Col2ImKernel(ArrayView<float> cols, ArrayView<float> dx, ConvGeometry g) =>
        GridLoop.For(g.N * g.C * g.H, new Col2ImAt(cols, dx, g, g.OutH, g.OutW));

    private readonly record struct Col2ImAt(ArrayView<float> Cols, ArrayView<float> Dx, ConvGeometry G, int OutH, int OutW) : IGridBody
    {
        public void Invoke(int u)
        {
            var g = G;
            int oh = OutH, ow = OutW, patch = g.Patch;
            int h = u % g.H, nc = u / g.H;
            int c = nc % g.C, n = nc / g.C;
            int line = u * g.W;
            for (int w = 0; w < g.W; w++) Dx[line + w] = 0f;
            for (int i = 0; i < g.KH; i++)
            {
                int ohi = ConvGeometry.OutputFor(h, i, g.Pad, g.Stride, oh);
                if (ohi < 0) continue;
                int rowBase = (n * oh + ohi) * ow * patch + (c * g.KH + i) * g.KW;
                for (int j = 0; j < g.KW; j++)
                {
                    // Output columns whose window puts tap j on an input column inside the row.
                    int w = j - g.Pad, at = rowBase + j;
                    for (int owi = 0; owi < ow; owi++, w += g.Stride, at += patch)
                        if (w >= 0 && w < g.W) Dx[line + w] += Cols[at];
                }
            }
        }
    }

    /// <summary>
    /// Work-item u transposes an 8×8 block: rows r0.. by columns c0.. of x[b] into y[b, c0.., r0..],
    /// zero at r ≥ rows. A work-item per output line, one float per loop step, ran at a quarter of
    /// copy bandwidth; a whole block computes its indices once for 64 copies (PoCL copies them one by
    /// one still) and ran 1.25–1.6× faster.
    /// </summary>
    private static void Transpose3Kernel(ArrayView<float> x, ArrayView<float> y, int batch, int rows, int columns, int outRows) =>
        GridLoop.For(batch * Transpose3Blocks(columns, outRows), new Transpose3At(x, y, rows, columns, outRows));

    private static int Transpose3Blocks(int columns, int outRows) => (columns + 7) / 8 * ((outRows + 7) / 8);

    private readonly record struct Transpose3At(ArrayView<float> X, ArrayView<float> Y, int Rows, int Columns, int OutRows) : IGridBody
    {
        public void Invoke(int u)
        {
            int rowBlocks = (OutRows + 7) / 8, columnBlocks = (Columns + 7) / 8;
            int rb = u % rowBlocks, t = u / rowBlocks, cb = t % columnBlocks, b = t / columnBlocks;
            int r0 = rb * 8, c0 = cb * 8;
            int from = (b * Rows + r0) * Columns + c0, to = (b * Columns + c0) * OutRows + r0;
            if (r0 + 8 <= Rows && c0 + 8 <= Columns)
            {
                for (int j = 0; j < 8; j++, from++, to += OutRows)
                    Vec8f.Store(Y, to, Vec8f.Load(X, from, Columns));
                return;
            }
            int width = Math.Min(8, Columns - c0), height = Math.Min(8, OutRows - r0);
            for (int j = 0; j < width; j++, from++, to += OutRows)
                for (int i = 0; i < height; i++)
                    Y[to + i] = r0 + i < Rows ? X[from + i * Columns] : 0f;
        }
    }

    /// <summary>x (N, C, H, W) → cols (N·Ho·Wo, C·kh·kw).</summary>
    public void Im2Col(ArrayView<float> x, ArrayView<float> cols, ConvGeometry g) =>
        _im2col(_plan.GridStride((long)g.N * g.C * g.OutH), x, cols, g, SpecializedValue.New(AsMatrix));

    /// <summary>
    /// x (N, C, H, W) → cols packed as the A of cols·Wᵀ (⌈N·Ho·Wo / 8⌉ strips of C·kh·kw: a
    /// MatMulKernels.MatMulPacked pack of A).
    /// </summary>
    public void Im2ColStrips(ArrayView<float> x, ArrayView<Vec8f> strips, ConvGeometry g) =>
        Im2ColPacked(x, strips, g, AsStrips, (g.Rows + 7) / 8 * (long)g.Patch);

    /// <summary>
    /// x (N, C, H, W) → cols packed as the B of gᵀ·cols (⌈C·kh·kw / 8⌉ panels of N·Ho·Wo: a
    /// MatMulKernels.MatMulPacked pack of B).
    /// </summary>
    public void Im2ColPanels(ArrayView<float> x, ArrayView<Vec8f> panels, ConvGeometry g) =>
        Im2ColPacked(x, panels, g, AsPanels, (g.Patch + 7) / 8 * (long)g.Rows);

    private void Im2ColPacked(ArrayView<float> x, ArrayView<Vec8f> packed, ConvGeometry g, int layout, long length)
    {
        if (packed.Length < length) throw new ArgumentException($"im2col: {packed.Length} packed values are too few for {g} (needs {length})");
        _im2col(_plan.GridStride((long)g.N * g.C * g.OutH), x, packed.Cast<float>(), g, SpecializedValue.New(layout));
    }

    /// <summary>dcols (N·Ho·Wo, C·kh·kw) → dx (N, C, H, W), overwriting dx.</summary>
    public void Col2Im(ArrayView<float> cols, ArrayView<float> dx, ConvGeometry g) =>
        _col2im(_plan.GridStride((long)g.N * g.C * g.H), cols, dx, g);

    /// <summary>
    /// y[b, c, r] = x[b, r, c] for x of shape (batch, rows, columns); y is (batch, columns, outRows),
    /// zero at r ≥ rows, where <paramref name="outRows"/> is given (≥ rows; default: rows).
    /// </summary>
    public void Transpose3(ArrayView<float> x, ArrayView<float> y, int batch, int rows, int columns, int outRows = 0)
    {
        outRows = Math.Max(outRows, rows);
        long total = (long)batch * rows * columns;
        if (y.Length < (long)batch * columns * outRows) throw new ArgumentException($"transpose3: y has {y.Length} values, too few for ({batch}, {columns}, {outRows})");
        if (total > 0) _transpose3(_plan.GridStride((long)batch * Transpose3Blocks(columns, outRows)), x, y, batch, rows, columns, outRows);
    }

    // ---- scalar references (double) ----

    public static double[] Im2ColReference(ReadOnlySpan<float> x, ConvGeometry g)
    {
        var cols = new double[g.Rows * g.Patch];
        foreach (var (col, at) in Taps(g)) cols[col] = at < 0 ? 0 : x[at];
        return cols;
    }

    /// <summary>The adjoint of im2col: scatter-adds every column entry back to its input pixel.</summary>
    public static double[] Col2ImReference(ReadOnlySpan<float> cols, ConvGeometry g)
    {
        var dx = new double[g.N * g.C * g.H * g.W];
        foreach (var (col, at) in Taps(g))
            if (at >= 0) dx[at] += cols[col];
        return dx;
    }

    /// <summary>Every entry of cols in order, with the index of the input pixel it reads (−1 in the padding).</summary>
    private static IEnumerable<(int Col, int At)> Taps(ConvGeometry g)
    {
        for (int n = 0; n < g.N; n++)
        for (int ohi = 0; ohi < g.OutH; ohi++)
        for (int owi = 0; owi < g.OutW; owi++)
        for (int c = 0; c < g.C; c++)
        for (int i = 0; i < g.KH; i++)
        for (int j = 0; j < g.KW; j++)
        {
            int h = ohi * g.Stride - g.Pad + i, w = owi * g.Stride - g.Pad + j;
            int row = (n * g.OutH + ohi) * g.OutW + owi;
            bool inside = h >= 0 && h < g.H && w >= 0 && w < g.W;
            yield return (row * g.Patch + (c * g.KH + i) * g.KW + j, inside ? ((n * g.C + c) * g.H + h) * g.W + w : -1);
        }
    }
}
