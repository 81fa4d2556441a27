// The unary maps that specialise UnaryKernels, each with its scalar reference.
//   y = exp x,  log x,  √x,  x²
using ILGPU.Algorithms;

namespace Activations.Kernels.Tensor;

/// <summary>A unary map with its scalar reference.</summary>
public interface IUnaryOp
{
    static abstract float Apply(float x);
    static abstract double Reference(double x);
}

public readonly struct ExpOp : IUnaryOp
{
    public static float Apply(float x) => XMath.Exp(x);
    public static double Reference(double x) => Math.Exp(x);
}

public readonly struct LogOp : IUnaryOp
{
    public static float Apply(float x) => XMath.Log(x);
    public static double Reference(double x) => Math.Log(x);
}

public readonly struct SqrtOp : IUnaryOp
{
    public static float Apply(float x) => XMath.Sqrt(x);
    public static double Reference(double x) => Math.Sqrt(x);
}

public readonly struct SquareOp : IUnaryOp
{
    public static float Apply(float x) => x * x;
    public static double Reference(double x) => x * x;
}
