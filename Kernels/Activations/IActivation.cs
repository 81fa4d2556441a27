// The contract every activation implements: forward, backward from the saved output where that
// is cheaper, the derivative with respect to its parameter (α or slope), and a double-precision
// scalar reference of each that the tests use as the oracle.
namespace Activations.Kernels.Activations;

/// <summary>
/// One activation y = f(x; p) with a scalar parameter p (α, or the slope of LeakyReLU; ignored by
/// activations without one). Implemented by small structs so that one generic kernel serves all.
/// </summary>
public interface IActivation
{
    /// <summary>Name used on the command line and in reports (lower case).</summary>
    static abstract string Name { get; }

    /// <summary>Whether p is used at all (and so whether it can be learned).</summary>
    static abstract bool HasParameter { get; }

    /// <summary>y = f(x; p).</summary>
    static abstract float Forward(float x, float p);

    /// <summary>dy/dx, given the input x and the saved output y = f(x; p).</summary>
    static abstract float Backward(float x, float y, float p);

    /// <summary>dy/dp, given x and the saved output y (0 where p is unused).</summary>
    static abstract float ParamGrad(float x, float y, float p);

    /// <summary>Scalar reference of f in double precision.</summary>
    static abstract double ForwardReference(double x, double p);

    /// <summary>Scalar reference of dy/dx in double precision, from x alone.</summary>
    static abstract double BackwardReference(double x, double p);

    /// <summary>Scalar reference of dy/dp in double precision, from x alone.</summary>
    static abstract double ParamGradReference(double x, double p);
}
