// a·b + c with one rounding on OpenCL. ILGPU 1.5.3 offers no way to write OpenCL's fma
// (MathF.FusedMultiplyAdd reaches the OpenCL C compiler as an undeclared name) and emits a·b + c as
// two statements, which OpenCL C may not contract, so PoCL ran every product sum as a vector
// multiply and a vector add. Registered as an OpenCL intrinsic only (EnableFusedMultiplyAdd on the
// context builder): a kernel that calls it compiles for OpenCL alone, so kernels take it through a
// type chosen by LaunchPlan.FusedMultiplyAdd (MatMulKernels' FusedOnOpenCL / Unfused).
//
// The 8×16 blocks of the packed matmul and the direct convolutions go further: a block's whole update
// is one intrinsic written with OpenCL's float16, because LLVM 15's SLP vectoriser built only 8-wide
// trees from ILGPU's scalar code, so an AVX-512 CPU ran at half its vector width (docs/performance.md).
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using ILGPU;
using ILGPU.Backends.OpenCL;
using ILGPU.IR;
using ILGPU.IR.Intrinsics;
using ILGPU.IR.Values;
using Activations.Kernels.MatMul;

namespace Activations.Kernels;

/// <summary>a·b + c for the product loops, as OpenCL's fma.</summary>
public static class Fused
{
    /// <summary>a·b + c as OpenCL's fma (OpenCL kernels only; the body is what the attribute requires).</summary>
    /// <remarks>IntrinsicImplementation marks it for ILGPU's intrinsic lookup, which skips unmarked methods.</remarks>
    [IntrinsicImplementation, MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MultiplyAdd(float a, float b, float c) => a * b + c;

    /// <summary>Makes <see cref="MultiplyAdd"/>, <see cref="MultiplyAdd8x8"/> and <see cref="MultiplyAdd8x16"/> OpenCL's fma (and <see cref="AddRows8x16"/> its float16 add) in every kernel compiled in the built context.</summary>
    public static Context.Builder EnableFusedMultiplyAdd(this Context.Builder builder)
    {
        var intrinsics = builder.GetIntrinsicManager();
        intrinsics.RegisterOpenCL(typeof(Fused), nameof(MultiplyAdd), nameof(GenerateFma));
        intrinsics.RegisterOpenCL(typeof(Fused), nameof(MultiplyAdd8x8), nameof(GenerateFma8x8));
        intrinsics.RegisterOpenCL(typeof(Fused), nameof(MultiplyAdd4x24), nameof(GenerateFma4x24));
        intrinsics.RegisterOpenCL(typeof(Fused), nameof(MultiplyAdd8x16), nameof(GenerateFma8x16));
        intrinsics.RegisterOpenCL(typeof(Fused), nameof(AddRows8x16), nameof(GenerateAddRows8x16));
        return builder;
    }

    /// <summary>Registers <paramref name="owner"/>'s static method <paramref name="method"/> as an OpenCL intrinsic whose code its <paramref name="generator"/> writes.</summary>
    internal static void RegisterOpenCL(this IntrinsicImplementationManager intrinsics, Type owner, string method, string generator) =>
        intrinsics.RegisterMethod(owner.GetMethod(method, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!,
            new CLIntrinsic(owner, generator, IntrinsicImplementationMode.GenerateCode));

    /// <summary>
    /// float16 (float8) as plain vector loads and stores, 4-byte aligned as the structs are: PoCL's vload16
    /// reads in pairs of floats, and LLVM then kept the block in pairs too (49–55 GFLOP/s at 1024³).
    /// </summary>
    private const string Float16Unaligned = "typedef float16 __attribute__((aligned(4))) f16u_;";
    private const string Float8Unaligned = "typedef float8 __attribute__((aligned(4))) f8u_;";

    /// <summary>acc += a·bᵀ for an 8×8 block as eight OpenCL float8 fmas, one per row (OpenCL kernels only).</summary>
    /// <remarks>Left to LLVM's SLP vectoriser, the same update came out in whichever orientation it
    /// met first: in the direct convolutions it gathered a's eight values into a vector with eight
    /// inserts per step and broadcast b's, or loaded b reversed (35–40 GFLOP/s on a Zen 3).</remarks>
    [IntrinsicImplementation, MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MultiplyAdd8x8(ref Block8x8 acc, Vec8f a, Vec8f b) => acc.Add(a, b);

    /// <summary>The OpenCL code for <see cref="MultiplyAdd8x8"/>.</summary>
    public static void GenerateFma8x8(CLBackend backend, CLCodeGenerator codeGenerator, Value value) =>
        GenerateRowFmas(codeGenerator, (MethodCall)value, Float8Unaligned, "f8u_", "float8");

    /// <summary>acc += (a0..a3)·(b0 b1 b2)ᵀ for a 4×24 block as twelve OpenCL float8 fmas (OpenCL kernels only).</summary>
    [IntrinsicImplementation, MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MultiplyAdd4x24(ref Block4x24 acc, float a0, float a1, float a2, float a3, Vec8f b0, Vec8f b1, Vec8f b2) =>
        acc.AddSeparately(a0, a1, a2, a3, b0, b1, b2);

    /// <summary>The OpenCL code for <see cref="MultiplyAdd4x24"/>: row r, panel j is acc_[3r + j], each a broadcast times a b.</summary>
    public static void GenerateFma4x24(CLBackend backend, CLCodeGenerator codeGenerator, Value value)
    {
        var call = (MethodCall)value;
        var acc = codeGenerator.Load(call[0]);
        var code = new StringBuilder($"{{ {Float8Unaligned} f8u_* acc_ = (f8u_*){acc};");
        for (int j = 0; j < 3; j++)
            code.Append($" f8u_ b{j}_ = *(f8u_*)&{codeGenerator.Load(call[5 + j])};");
        for (int r = 0; r < 4; r++)
        {
            code.Append($" {{ float8 a_ = (float8)({codeGenerator.Load(call[1 + r])});");
            for (int j = 0; j < 3; j++)
                code.Append($" acc_[{3 * r + j}] = fma(a_, b{j}_, acc_[{3 * r + j}]);");
            code.Append(" }");
        }
        code.Append(" }");
        codeGenerator.AppendIndent();
        codeGenerator.Builder.AppendLine(code.ToString());
    }

    /// <summary>acc += a·bᵀ for an 8×16 block as eight OpenCL float16 fmas, one per row (OpenCL kernels only).</summary>
    /// <remarks>The block goes by reference, so that OpenCL reads and writes it through one address,
    /// which LLVM keeps in eight vector registers; carried by value through ILGPU's loop variables it
    /// was split into single floats (28 GFLOP/s at 1024³ against 199).</remarks>
    [IntrinsicImplementation, MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MultiplyAdd8x16(ref Block8x16 acc, Vec8f a, Vec16f b) => acc.AddSeparately(a, b);

    /// <summary>The OpenCL code for <see cref="MultiplyAdd8x16"/>: the block and b read and written as float16 through their addresses.</summary>
    public static void GenerateFma8x16(CLBackend backend, CLCodeGenerator codeGenerator, Value value) =>
        GenerateRowFmas(codeGenerator, (MethodCall)value, Float16Unaligned, "f16u_", "float16");

    /// <summary>acc_[r] = fma((vector)a_[r], b_, acc_[r]) for the 8 rows, the block and b read and written as vectors through their addresses.</summary>
    private static void GenerateRowFmas(CLCodeGenerator codeGenerator, MethodCall call, string typedef, string row, string vector)
    {
        var acc = codeGenerator.Load(call[0]);
        var a = codeGenerator.Load(call[1]);
        var b = codeGenerator.Load(call[2]);
        var code = new StringBuilder($"{{ {typedef} {row}* acc_ = ({row}*){acc};");
        code.Append($" float* a_ = (float*)&{a}; {row} b_ = *({row}*)&{b};");
        for (int r = 0; r < 8; r++)
            code.Append($" acc_[{r}] = fma(({vector})(a_[{r}]), b_, acc_[{r}]);");
        code.Append(" }");
        codeGenerator.AppendIndent();
        codeGenerator.Builder.AppendLine(code.ToString());
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

    /// <summary>acc += other for two 8×16 blocks as eight OpenCL float16 adds (OpenCL kernels only; both by reference, as in <see cref="MultiplyAdd8x16"/>).</summary>
    [IntrinsicImplementation, MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void AddRows8x16(ref Block8x16 acc, ref Block8x16 other) => acc.AddRows(other);

    /// <summary>The OpenCL code for <see cref="AddRows8x16"/>.</summary>
    public static void GenerateAddRows8x16(CLBackend backend, CLCodeGenerator codeGenerator, Value value)
    {
        var call = (MethodCall)value;
        var acc = codeGenerator.Load(call[0]);
        var other = codeGenerator.Load(call[1]);
        var code = new StringBuilder($"{{ {Float16Unaligned} f16u_* acc_ = (f16u_*){acc}; f16u_* other_ = (f16u_*){other};");
        for (int r = 0; r < 8; r++)
            code.Append($" acc_[{r}] = acc_[{r}] + other_[{r}];");
        code.Append(" }");
        codeGenerator.AppendIndent();
        codeGenerator.Builder.AppendLine(code.ToString());
    }
}
