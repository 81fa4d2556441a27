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

    /// <summary>a + b lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec8f Add(Vec8f a, Vec8f b)
    {
        a.V0 += b.V0; a.V1 += b.V1; a.V2 += b.V2; a.V3 += b.V3; a.V4 += b.V4; a.V5 += b.V5; a.V6 += b.V6; a.V7 += b.V7;
        return a;
    }
}

/// <summary>Sixteen floats, one accumulator row of the packed matmul's 8×16 blocks (a kernel value type, hence public).</summary>
public struct Vec16f
{
    public Vec8f Lo, Hi;

    /// <summary>a + b lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec16f Add(Vec16f a, Vec16f b)
    {
        a.Lo = Vec8f.Add(a.Lo, b.Lo);
        a.Hi = Vec8f.Add(a.Hi, b.Hi);
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
