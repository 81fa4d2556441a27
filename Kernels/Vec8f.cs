// Eight consecutive floats moved with one view access. On the CPU accelerator every view access is
// ILGPU's own .NET code (ArrayView.LoadEffectiveAddress fetches the buffer's pointer each time; in
// the activation kernels the JIT leaves it a call), so kernels that run there read and write in
// these (the packed matmul, the activations); on PoCL the packed matmul's 8-float loads are what
// its vector updates (Fused) read.
using System.Runtime.CompilerServices;
using ILGPU;

namespace Activations.Kernels;

/// <summary>Eight floats read or written with one view access (a kernel parameter type, hence public).</summary>
public struct Vec8f
{
    public float V0, V1, V2, V3, V4, V5, V6, V7;

    /// <summary>The 8 floats x[at..at + 7], each its own load (for where the 8 are not a Vec8f of a view).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec8f Load(ArrayView<float> x, int at) => Load(x, at, 1);

    /// <summary>The 8 floats x[at + i·stride], i = 0..7 (a column of 8 rows; where stride is a constant 1, one load on PoCL).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec8f Load(ArrayView<float> x, int at, int stride)
    {
        Vec8f v;
        v.V0 = x[at]; v.V1 = x[at + stride]; v.V2 = x[at + 2 * stride]; v.V3 = x[at + 3 * stride];
        v.V4 = x[at + 4 * stride]; v.V5 = x[at + 5 * stride]; v.V6 = x[at + 6 * stride]; v.V7 = x[at + 7 * stride];
        return v;
    }

    /// <summary>x[at..at + 7] = v.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(ArrayView<float> x, int at, in Vec8f v)
    {
        x[at] = v.V0; x[at + 1] = v.V1; x[at + 2] = v.V2; x[at + 3] = v.V3;
        x[at + 4] = v.V4; x[at + 5] = v.V5; x[at + 6] = v.V6; x[at + 7] = v.V7;
    }

    /// <summary>a + b lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec8f Add(Vec8f a, Vec8f b)
    {
        a.V0 += b.V0; a.V1 += b.V1; a.V2 += b.V2; a.V3 += b.V3; a.V4 += b.V4; a.V5 += b.V5; a.V6 += b.V6; a.V7 += b.V7;
        return a;
    }

    /// <summary>a·b + c lane by lane, each rounded twice (the CPU accelerator's and CUDA's form of the Fused row updates).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec8f MultiplyAdd(float a, Vec8f b, Vec8f c)
    {
        c.V0 += a * b.V0; c.V1 += a * b.V1; c.V2 += a * b.V2; c.V3 += a * b.V3;
        c.V4 += a * b.V4; c.V5 += a * b.V5; c.V6 += a * b.V6; c.V7 += a * b.V7;
        return c;
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
        c.Lo = Vec8f.MultiplyAdd(a, b.Lo, c.Lo);
        c.Hi = Vec8f.MultiplyAdd(a, b.Hi, c.Hi);
        return c;
    }
}
