using Activations.Kernels;
using Activations.Engine.Verification;
using Activations.Engine;
using Activations.Kernels.Conv;
using Activations.Tests.Infrastructure;

namespace Activations.Tests.Conv;

public class Im2ColTests
{
    /// <summary>device, N, C, H, W, kernel, stride, pad: the shapes `verify` runs.</summary>
    public static IEnumerable<object[]> Cases() => TestDevices.With(KernelCases.Im2ColShapes, s => [s.N, s.C, s.H, s.W, s.K, s.Stride, s.Pad]);

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void Im2ColPackedAndCol2ImMatchReferences(string device, int n, int c, int h, int w, int k, int s, int pad)
    {
        Assert.Null(new ConvGeometry(n, c, h, w, k, k, s, pad).Problem());
        Assert.Null(KernelCases.Im2Col(TestDevices.Get(device), new WindowShape(n, c, h, w, k, s, pad)));
    }

    /// <summary>(batch, rows, columns, outRows): partial blocks only; whole 8×8 blocks with edges in both
    /// axes; rows padded to outRows with zeros (the direct ∂w's g8), within and past a block.</summary>
    public static IEnumerable<object[]> TransposeCases() =>
        TestDevices.With(new[] { (2, 7, 5, 7), (3, 19, 21, 19), (2, 16, 24, 16), (2, 5, 13, 8), (2, 10, 17, 24) }, s => [s.Item1, s.Item2, s.Item3, s.Item4]);

    [SkippableTheory]
    [MemberData(nameof(TransposeCases))]
    public void Transpose3SwapsTheLastTwoAxes(string device, int batch, int rows, int columns, int outRows)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = CounterRng.Uniform(3, batch * rows * columns, -1f, 1f);
        var tx = Tensor.FromArray(d, x, batch, rows, columns);
        var ty = Tensor.Full(d, float.NaN, batch, columns, outRows);
        d.Kernels.Get<ConvKernels>().Transpose3(tx.View, ty.View, batch, rows, columns, outRows);
        var y = ty.ToArray();
        var expected = new double[y.Length];
        for (int b = 0; b < batch; b++)
            for (int r = 0; r < rows; r++)
                for (int col = 0; col < columns; col++)
                    expected[(b * columns + col) * outRows + r] = x[(b * rows + r) * columns + col];
        Expect.Close(y, expected, 0, 0, $"transpose3 ({batch}, {rows}, {columns}) to {outRows} rows");
    }
}
