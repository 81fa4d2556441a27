// a·b + c with one rounding on OpenCL. ILGPU 1.5.3 offers no way to write OpenCL's fma
// (MathF.FusedMultiplyAdd reaches the OpenCL C compiler as an undeclared name) and emits a·b + c as
// two statements, which OpenCL C may not contract, so PoCL ran every product sum as a vector
// multiply and a vector add. Registered as an OpenCL intrinsic only (EnableFusedMultiplyAdd on the
// context builder): a kernel that calls it compiles for OpenCL alone, so kernels take it through a
// type chosen by LaunchPlan.FusedMultiplyAdd (MatMulKernels' FusedOnOpenCL / Unfused).
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Backends.OpenCL;
using ILGPU.IR;
using ILGPU.IR.Intrinsics;
using ILGPU.IR.Values;

namespace Activations.Kernels;

/// <summary>a·b + c for the product loops, as OpenCL's fma.</summary>
public static class Fused
{
    /// <summary>a·b + c as OpenCL's fma (OpenCL kernels only; the body is what the attribute requires).</summary>
    /// <remarks>IntrinsicImplementation marks it for ILGPU's intrinsic lookup, which skips unmarked methods.</remarks>
    [IntrinsicImplementation, MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MultiplyAdd(float a, float b, float c) => a * b + c;

    /// <summary>Makes <see cref="MultiplyAdd"/> OpenCL's fma in every kernel compiled in the built context.</summary>
    public static Context.Builder EnableFusedMultiplyAdd(this Context.Builder builder)
    {
        var method = typeof(Fused).GetMethod(nameof(MultiplyAdd))!;
        builder.GetIntrinsicManager().RegisterMethod(method,
            new CLIntrinsic(typeof(Fused), nameof(GenerateFma), IntrinsicImplementationMode.GenerateCode));
        return builder;
    }

    /// <summary>The OpenCL code for a call of <see cref="MultiplyAdd"/>: target = fma(a, b, c).</summary>
    public static void GenerateFma(CLBackend backend, CLCodeGenerator codeGenerator, Value value)
    {
        var call = (MethodCall)value;
        var a = codeGenerator.Load(call[0]);
        var b = codeGenerator.Load(call[1]);
        var c = codeGenerator.Load(call[2]);
        var target = codeGenerator.Allocate(value);
        using var statement = codeGenerator.BeginStatement(target);
        statement.AppendCommand("fma");
        statement.BeginArguments();
        statement.AppendArgument(a);
        statement.AppendArgument(b);
        statement.AppendArgument(c);
        statement.EndArguments();
    }
}
