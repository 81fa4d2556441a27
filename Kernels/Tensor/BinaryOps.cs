// The binary arithmetic ops that specialise BinaryKernels, each with its scalar reference.
//   z = a + b,  a − b,  a · b,  a / b
namespace Activations.Kernels.Tensor;

/// <summary>A binary arithmetic op with its scalar reference.</summary>
public interface IBinaryOp
{
    static abstract float Apply(float a, float b);
    static abstract double Reference(double a, double b);
}

public readonly struct AddOp : IBinaryOp
{
    public static float Apply(float a, float b) => a + b;
    public static double Reference(double a, double b) => a + b;
}

public readonly struct SubOp : IBinaryOp
{
    public static float Apply(float a, float b) => a - b;
    public static double Reference(double a, double b) => a - b;
}

public readonly struct MulOp : IBinaryOp
{
    public static float Apply(float a, float b) => a * b;
    public static double Reference(double a, double b) => a * b;
}

public readonly struct DivOp : IBinaryOp
{
    public static float Apply(float a, float b) => a / b;
    public static double Reference(double a, double b) => a / b;
}
