// Activation ops: one generic forward/backward pair served by the kernels in Kernels/Activations,
// reached from an ActivationInfo through the catalog's visitor. The parameters p (0 to 4 per
// activation) live in one tensor, parameter-major: P values (one set per layer) or P·C (one set
// per channel along channelAxis). When that tensor requires grad, they learn.
//
//   y = f(x; p)        ∂x = g·∂f/∂x        ∂p_k[c] = Σ_{i in channel c} g·∂f/∂p_k
using Activations.Kernels.Activations;

namespace Activations.Engine;

public sealed partial class Tensor
{
    /// <summary>Applies <paramref name="activation"/> with fixed parameters: the first is <paramref name="parameter"/> (NaN: its default), the rest their defaults.</summary>
    public Tensor Activate(ActivationInfo activation, float parameter = float.NaN) =>
        Activate(activation, activation.WithFirst(parameter));

    /// <summary>Applies <paramref name="activation"/> with fixed parameter values (one per parameter, in order).</summary>
    public Tensor Activate(ActivationInfo activation, float[] values)
    {
        if (values.Length != activation.Parameters.Count)
            throw new ArgumentException($"{activation.Name} has {activation.Parameters.Count} parameters; got {values.Length} values");
        for (int k = 0; k < values.Length; k++) activation.Validate(k, values[k]);
        var p = FromArray(Device, values.Length == 0 ? [0f] : values, Math.Max(1, values.Length));
        var y = Activate(activation, p);
        // The backward closure reads p, so p lives as long as y when a graph was recorded.
        if (y.IsLeaf) p.Dispose();
        else y.Own(p);
        return y;
    }

    /// <summary>
    /// Applies <paramref name="activation"/> with parameter tensor <paramref name="parameters"/>: P values,
    /// or P·C (parameter-major) for one set per channel along <paramref name="channelAxis"/>.
    /// </summary>
    public Tensor Activate(ActivationInfo activation, Tensor parameters, int channelAxis = 1) =>
        activation.Accept(new ActivateVisitor(this, parameters, channelAxis));

    private sealed record ActivateVisitor(Tensor X, Tensor Parameters, int ChannelAxis) : IActivationVisitor<Tensor>
    {
        public Tensor Visit<TAct>() where TAct : struct, IActivation => X.Activate<TAct>(Parameters, ChannelAxis);
    }

    public Tensor Activate<T>(Tensor parameters, int channelAxis = 1) where T : struct, IActivation
    {
        SameDevice(this, parameters, T.Name);
        int count = T.Parameters.Count;
        int channels = count == 0 ? 1 : parameters.Length / count;
        if (count > 0 && parameters.Length % count != 0)
            throw new ArgumentException($"{T.Name}: {count} parameters need a multiple of {count} values; got {parameters.Length}");
        int inner = 1;
        if (channels != 1)
        {
            int axis = Shape.Axis(channelAxis);
            if (Shape[axis] != channels)
                throw new ArgumentException($"{T.Name}: {(count == 1 ? T.Parameters[0].Symbol : "each parameter")} has {channels} values but {Describe()} has {Shape[axis]} channels on axis {channelAxis}");
            inner = Shape.Product(axis + 1, Rank);
        }
        var kernels = Device.Kernels.Get<ActivationKernels<T>>();
        var y = new Tensor(Device, Shape);
        kernels.Forward(View, y.View, parameters.View, inner);
        var x = this;
        int outer = channels == 1 ? 1 : Shape.Product(0, Shape.Axis(channelAxis));
        return y.Record(T.Name, [this, parameters], g =>
        {
            x.AccumulateGrad(gx => kernels.Backward(x.View, y.View, g.View, gx, parameters.View, inner));
            if (parameters.RequiresGrad && count > 0)
            {
                int n = g.Length;
                using var contrib = new Tensor(g.Device, new Shape(count * n));
                for (int k = 0; k < count; k++)
                    kernels.ParamGrad(k, x.View, y.View, g.View, contrib.View.SubView(k * n, n), parameters.View, inner);
                // One parameter: the leading axis of length 1 is left out, so its sums run as they always have.
                int[] lead = count == 1 ? [] : [count];
                int shift = lead.Length;
                Tensor gp;
                if (channels == 1)
                {
                    using var v = contrib.ViewAs(new Shape([.. lead, n]));
                    gp = ReduceSum(v, [shift], 1f);
                }
                else
                {
                    using var v = contrib.ViewAs(new Shape([.. lead, outer, channels, inner]));
                    gp = ReduceSum(v, [shift, shift + 2], 1f);
                }
                var shaped = gp.ViewAs(parameters.Shape);
                gp.Dispose();
                parameters.AccumulateGrad(shaped, owned: true);
            }
        }, this, y, parameters);
    }
}
