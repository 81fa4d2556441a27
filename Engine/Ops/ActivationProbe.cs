// One activation's kernels run once on host data: y, dy/dx and every dy/dp_k (dy = 1). Shared by
// `verify`, `check`, `plot` and the tests, so that they all read the kernels the same way.
using Activations.Kernels.Activations;

namespace Activations.Engine;

/// <summary>The kernels' answers at some points: y, then dy/dx and each dy/dp_k.</summary>
public sealed record ActivationProbe(float[] Y, float[] Dx, float[][] DParams)
{
    /// <summary>
    /// Runs the forward, backward and parameter-gradient kernels of <paramref name="activation"/> on
    /// <paramref name="device"/> at <paramref name="x"/> with parameters <paramref name="p"/>;
    /// <paramref name="derived"/> picks the dual-number backward over a hand-written one.
    /// </summary>
    public static ActivationProbe Run(Device device, ActivationInfo activation, float[] x, float[] p, bool derived = false) =>
        activation.Accept(new Visitor(device, x, p, derived));

    private sealed record Visitor(Device Device, float[] X, float[] P, bool Derived) : IActivationVisitor<ActivationProbe>
    {
        public ActivationProbe Visit<T>() where T : struct, IActivation
        {
            using var scope = TensorScope.Begin();
            var k = Device.Kernels.Get<ActivationKernels<T>>();
            int n = X.Length;
            var tx = Tensor.FromArray(Device, X, n);
            var ty = Tensor.Empty(Device, n);
            var tg = Tensor.Full(Device, 1f, n);
            var tp = Tensor.FromArray(Device, P.Length == 0 ? [0f] : P, Math.Max(1, P.Length));
            var td = Tensor.Empty(Device, n);
            k.Forward(tx.View, ty.View, tp.View);
            k.Backward(tx.View, ty.View, tg.View, td.View, tp.View, derived: Derived);
            var dx = td.ToArray();
            var dp = new float[P.Length][];
            for (int j = 0; j < P.Length; j++)
            {
                k.ParamGrad(j, tx.View, ty.View, tg.View, td.View, tp.View, derived: Derived);
                dp[j] = td.ToArray();
            }
            return new ActivationProbe(ty.ToArray(), dx, dp);
        }
    }
}
