// Eight consecutive floats moved with one view access. On the CPU accelerator every view access is
// ILGPU's own .NET code (ArrayView.LoadEffectiveAddress fetches the buffer's pointer each time; in
// the activation kernels the JIT leaves it a call), so kernels that run there read and write in
// these (the packed matmul, the activations); on PoCL the packed matmul's 8-float loads are what
// the SLP vectoriser turns into vector code.
using System.Runtime.CompilerServices;

namespace Activations.Kernels;

/// <summary>Eight floats read or written with one view access (a kernel parameter type, hence public).</summary>
public struct Vec8f
{
    public float V0, V1, V2, V3, V4, V5, V6, V7;
}

/// <summary>Sixteen floats, one accumulator row of the packed matmul's 8×16 blocks (a kernel value type, hence public).</summary>
public struct Vec16f
{
    public Vec8f Lo, Hi;

    /// <summary>a + b lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec16f Add(Vec16f a, Vec16f b)
    {
        a.Lo.V0 += b.Lo.V0; a.Lo.V1 += b.Lo.V1; a.Lo.V2 += b.Lo.V2; a.Lo.V3 += b.Lo.V3;
        a.Lo.V4 += b.Lo.V4; a.Lo.V5 += b.Lo.V5; a.Lo.V6 += b.Lo.V6; a.Lo.V7 += b.Lo.V7;
        a.Hi.V0 += b.Hi.V0; a.Hi.V1 += b.Hi.V1; a.Hi.V2 += b.Hi.V2; a.Hi.V3 += b.Hi.V3;
        a.Hi.V4 += b.Hi.V4; a.Hi.V5 += b.Hi.V5; a.Hi.V6 += b.Hi.V6; a.Hi.V7 += b.Hi.V7;
        return a;
    }

    /// <summary>a·b + c lane by lane, each rounded twice (the CPU accelerator's and CUDA's form of Fused.MultiplyAdd8x16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec16f MultiplyAdd(float a, Vec16f b, Vec16f c)
    {
        c.Lo.V0 += a * b.Lo.V0; c.Lo.V1 += a * b.Lo.V1; c.Lo.V2 += a * b.Lo.V2; c.Lo.V3 += a * b.Lo.V3;
        c.Lo.V4 += a * b.Lo.V4; c.Lo.V5 += a * b.Lo.V5; c.Lo.V6 += a * b.Lo.V6; c.Lo.V7 += a * b.Lo.V7;
        c.Hi.V0 += a * b.Hi.V0; c.Hi.V1 += a * b.Hi.V1; c.Hi.V2 += a * b.Hi.V2; c.Hi.V3 += a * b.Hi.V3;
        c.Hi.V4 += a * b.Hi.V4; c.Hi.V5 += a * b.Hi.V5; c.Hi.V6 += a * b.Hi.V6; c.Hi.V7 += a * b.Hi.V7;
        return c;
    }
}
