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

    [SkippableTheory]
    [MemberData(nameof(TestDevices.DeviceKeys), MemberType = typeof(TestDevices))]
    public void Transpose3SwapsTheLastTwoAxes(string device)
    {
        var d = TestDevices.Get(device);
        using var scope = TensorScope.Begin();
        var x = CounterRng.Uniform(3, 2 * 7 * 5, -1f, 1f);
        var tx = Tensor.FromArray(d, x, 2, 7, 5);
        var ty = Tensor.Empty(d, 2, 5, 7);
        d.Kernels.Get<ConvKernels>().Transpose3(tx.View, ty.View, 2, 7, 5);
        var y = ty.ToArray();
        var expected = new double[y.Length];
        for (int b = 0; b < 2; b++)
            for (int r = 0; r < 7; r++)
                for (int col = 0; col < 5; col++)
                    expected[(b * 5 + col) * 7 + r] = x[(b * 7 + r) * 5 + col];
        Expect.Close(y, expected, 0, 0, "transpose3");
    }
}
