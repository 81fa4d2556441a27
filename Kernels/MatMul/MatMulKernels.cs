// Dense matrix products, row-major float32, without materialising transposes.
//
//   C (M, N) = op(A) (M, K) · op(B) (K, N)  [+ bias (N) broadcast over rows]  [+ C when accumulating]
//   A is stored (M, K), or (K, M) when transposed; B is stored (K, N), or (N, K) when transposed.
//   Every kernel reads A(i, k) = a[i·sAi + k·sAk] and B(k, j) = b[k·sBk + j·sBj], so one source
//   serves A·B, Aᵀ·B and A·Bᵀ (and Aᵀ·Bᵀ) through the strides alone.
//
// Three implementations, all validated against MatMulReference by the tests. LaunchPlan chooses one
// per accelerator (MatMulAlgorithm); measured speeds and a variant that was dropped are in
// docs/performance.md.
//   Tiled   (CUDA, OpenCL GPUs): a 64×64 block of C per group of 16×16 threads, each thread holding
//           a 4×4 register block (rows ty+16r, columns tx+16c, so that neighbouring threads touch
//           neighbouring columns: coalesced loads and stores). K is walked in slices of 16 staged
//           through shared memory, zero-padded at the edges. Needs groups of 256 threads.
//   Blocked (OpenCL GPUs with groups under 256): no shared memory, no barriers; each work-item
//           walks a contiguous range of 4×4 blocks of C down each column panel (the K×4 panel of B
//           stays in cache while rows of A stream by). Edge blocks clamp loads and mask stores.
//   Packed  (CPUs: the CPU accelerator and OpenCL on PoCL): a pack kernel copies op(A) into strips
//           of 8 rows and op(B) into panels of 8 columns, interleaved along K, zero-padded; then each
//           work-item computes whole 8×8 blocks (LaunchPlan.PackedPanels: 16×16, two strips by two
//           panels, on PoCL built for AVX-512; a strip by three panels as two 4×24 units on other
//           PoCL builds), reading 8 floats of A and 8 of each panel of B per k with one view access
//           each. Packing costs O(MK + KN) against O(MNK) and makes all layouts alike. On the CPU
//           simulator every view access costs a trip through ILGPU's accessor (see Vec8f), so fewer,
//           wider accesses are what make it fast there. On OpenCL each block update is one intrinsic
//           written in OpenCL's vector types with its fma (Fused: LaunchPlan.FusedMultiplyAdd), rows
//           of float16 or float8, each row a broadcast of A times a row of B: LLVM 15's vectoriser
//           never built 16-lane rows by itself, and chose other orientations for 8-lane ones.
//           Vector code on PoCL needs scripts/pocl-6.0-vectorizer-target.patch (PoCL 6.0 as released
//           runs its pipeline with vectorisation off). On PoCL an A whose rows run along K is read in
//           place when C is narrow (RowsAlongK, LaunchPlan.PackedInPlaceColumns).
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace Activations.Kernels.MatMul;

/// <summary>Which matmul kernel to run (LaunchPlan.MatMulAlgorithm is the default; the file header says why).</summary>
public enum MatMulAlgorithm { Tiled, Blocked, Packed }

/// <summary>Sizes, strides and flags of one matmul launch (strides in elements).</summary>
public readonly record struct MatMulArgs(int M, int N, int K, int StrideAi, int StrideAk, int StrideBk, int StrideBj,
    int HasBias, int Accumulate)
{
    public static MatMulArgs For(int m, int n, int k, bool transposeA, bool transposeB, bool hasBias, bool accumulate) => new(
        m, n, k,
        transposeA ? 1 : k, transposeA ? m : 1,
        transposeB ? 1 : n, transposeB ? k : 1,
        hasBias ? 1 : 0, accumulate ? 1 : 0);
}

/// <summary>A 4×4 block of accumulators, kept in registers.</summary>
internal struct Block4x4
{
    public float C00, C01, C02, C03, C10, C11, C12, C13, C20, C21, C22, C23, C30, C31, C32, C33;

    /// <summary>C += a·bᵀ (a rank-1 update with a column of 4 and a row of 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(float a0, float a1, float a2, float a3, float b0, float b1, float b2, float b3)
    {
        C00 += a0 * b0; C01 += a0 * b1; C02 += a0 * b2; C03 += a0 * b3;
        C10 += a1 * b0; C11 += a1 * b1; C12 += a1 * b2; C13 += a1 * b3;
        C20 += a2 * b0; C21 += a2 * b1; C22 += a2 * b2; C23 += a2 * b3;
        C30 += a3 * b0; C31 += a3 * b1; C32 += a3 * b2; C33 += a3 * b3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Get(int r, int c) => r switch
    {
        0 => c == 0 ? C00 : c == 1 ? C01 : c == 2 ? C02 : C03,
        1 => c == 0 ? C10 : c == 1 ? C11 : c == 2 ? C12 : C13,
        2 => c == 0 ? C20 : c == 1 ? C21 : c == 2 ? C22 : C23,
        _ => c == 0 ? C30 : c == 1 ? C31 : c == 2 ? C32 : C33,
    };
}

/// <summary>
/// An 8×8 block of accumulators, one row of 8 per field, for the packed kernel. Each update goes row
/// by row, so PoCL's SLP vectoriser makes a row one 8-lane multiply and add of a broadcast A value
/// and the 8 B values (4×4 quarters made it shuffle both operands into place first).
/// </summary>
internal struct Block8x8
{
    public Vec8f R0, R1, R2, R3, R4, R5, R6, R7;

    /// <summary>C += a·bᵀ (a rank-1 update with a column of 8 and a row of 8), one row per line.</summary>
    /// <remarks>Written out on the fields: on the CPU accelerator a helper taking and returning a row
    /// spent its time copying structs (docs/performance.md).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(in Vec8f a, in Vec8f b)
    {
        R0.V0 += a.V0 * b.V0; R0.V1 += a.V0 * b.V1; R0.V2 += a.V0 * b.V2; R0.V3 += a.V0 * b.V3; R0.V4 += a.V0 * b.V4; R0.V5 += a.V0 * b.V5; R0.V6 += a.V0 * b.V6; R0.V7 += a.V0 * b.V7;
        R1.V0 += a.V1 * b.V0; R1.V1 += a.V1 * b.V1; R1.V2 += a.V1 * b.V2; R1.V3 += a.V1 * b.V3; R1.V4 += a.V1 * b.V4; R1.V5 += a.V1 * b.V5; R1.V6 += a.V1 * b.V6; R1.V7 += a.V1 * b.V7;
        R2.V0 += a.V2 * b.V0; R2.V1 += a.V2 * b.V1; R2.V2 += a.V2 * b.V2; R2.V3 += a.V2 * b.V3; R2.V4 += a.V2 * b.V4; R2.V5 += a.V2 * b.V5; R2.V6 += a.V2 * b.V6; R2.V7 += a.V2 * b.V7;
        R3.V0 += a.V3 * b.V0; R3.V1 += a.V3 * b.V1; R3.V2 += a.V3 * b.V2; R3.V3 += a.V3 * b.V3; R3.V4 += a.V3 * b.V4; R3.V5 += a.V3 * b.V5; R3.V6 += a.V3 * b.V6; R3.V7 += a.V3 * b.V7;
        R4.V0 += a.V4 * b.V0; R4.V1 += a.V4 * b.V1; R4.V2 += a.V4 * b.V2; R4.V3 += a.V4 * b.V3; R4.V4 += a.V4 * b.V4; R4.V5 += a.V4 * b.V5; R4.V6 += a.V4 * b.V6; R4.V7 += a.V4 * b.V7;
        R5.V0 += a.V5 * b.V0; R5.V1 += a.V5 * b.V1; R5.V2 += a.V5 * b.V2; R5.V3 += a.V5 * b.V3; R5.V4 += a.V5 * b.V4; R5.V5 += a.V5 * b.V5; R5.V6 += a.V5 * b.V6; R5.V7 += a.V5 * b.V7;
        R6.V0 += a.V6 * b.V0; R6.V1 += a.V6 * b.V1; R6.V2 += a.V6 * b.V2; R6.V3 += a.V6 * b.V3; R6.V4 += a.V6 * b.V4; R6.V5 += a.V6 * b.V5; R6.V6 += a.V6 * b.V6; R6.V7 += a.V6 * b.V7;
        R7.V0 += a.V7 * b.V0; R7.V1 += a.V7 * b.V1; R7.V2 += a.V7 * b.V2; R7.V3 += a.V7 * b.V3; R7.V4 += a.V7 * b.V4; R7.V5 += a.V7 * b.V5; R7.V6 += a.V7 * b.V6; R7.V7 += a.V7 * b.V7;
    }

    /// <summary>As <see cref="Add"/> with each a·b + c rounded once (<see cref="Fused"/>: OpenCL only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddFused(in Vec8f a, in Vec8f b)
    {
        R0.V0 = Fused.MultiplyAdd(a.V0, b.V0, R0.V0); R0.V1 = Fused.MultiplyAdd(a.V0, b.V1, R0.V1); R0.V2 = Fused.MultiplyAdd(a.V0, b.V2, R0.V2); R0.V3 = Fused.MultiplyAdd(a.V0, b.V3, R0.V3); R0.V4 = Fused.MultiplyAdd(a.V0, b.V4, R0.V4); R0.V5 = Fused.MultiplyAdd(a.V0, b.V5, R0.V5); R0.V6 = Fused.MultiplyAdd(a.V0, b.V6, R0.V6); R0.V7 = Fused.MultiplyAdd(a.V0, b.V7, R0.V7);
        R1.V0 = Fused.MultiplyAdd(a.V1, b.V0, R1.V0); R1.V1 = Fused.MultiplyAdd(a.V1, b.V1, R1.V1); R1.V2 = Fused.MultiplyAdd(a.V1, b.V2, R1.V2); R1.V3 = Fused.MultiplyAdd(a.V1, b.V3, R1.V3); R1.V4 = Fused.MultiplyAdd(a.V1, b.V4, R1.V4); R1.V5 = Fused.MultiplyAdd(a.V1, b.V5, R1.V5); R1.V6 = Fused.MultiplyAdd(a.V1, b.V6, R1.V6); R1.V7 = Fused.MultiplyAdd(a.V1, b.V7, R1.V7);
        R2.V0 = Fused.MultiplyAdd(a.V2, b.V0, R2.V0); R2.V1 = Fused.MultiplyAdd(a.V2, b.V1, R2.V1); R2.V2 = Fused.MultiplyAdd(a.V2, b.V2, R2.V2); R2.V3 = Fused.MultiplyAdd(a.V2, b.V3, R2.V3); R2.V4 = Fused.MultiplyAdd(a.V2, b.V4, R2.V4); R2.V5 = Fused.MultiplyAdd(a.V2, b.V5, R2.V5); R2.V6 = Fused.MultiplyAdd(a.V2, b.V6, R2.V6); R2.V7 = Fused.MultiplyAdd(a.V2, b.V7, R2.V7);
        R3.V0 = Fused.MultiplyAdd(a.V3, b.V0, R3.V0); R3.V1 = Fused.MultiplyAdd(a.V3, b.V1, R3.V1); R3.V2 = Fused.MultiplyAdd(a.V3, b.V2, R3.V2); R3.V3 = Fused.MultiplyAdd(a.V3, b.V3, R3.V3); R3.V4 = Fused.MultiplyAdd(a.V3, b.V4, R3.V4); R3.V5 = Fused.MultiplyAdd(a.V3, b.V5, R3.V5); R3.V6 = Fused.MultiplyAdd(a.V3, b.V6, R3.V6); R3.V7 = Fused.MultiplyAdd(a.V3, b.V7, R3.V7);
        R4.V0 = Fused.MultiplyAdd(a.V4, b.V0, R4.V0); R4.V1 = Fused.MultiplyAdd(a.V4, b.V1, R4.V1); R4.V2 = Fused.MultiplyAdd(a.V4, b.V2, R4.V2); R4.V3 = Fused.MultiplyAdd(a.V4, b.V3, R4.V3); R4.V4 = Fused.MultiplyAdd(a.V4, b.V4, R4.V4); R4.V5 = Fused.MultiplyAdd(a.V4, b.V5, R4.V5); R4.V6 = Fused.MultiplyAdd(a.V4, b.V6, R4.V6); R4.V7 = Fused.MultiplyAdd(a.V4, b.V7, R4.V7);
        R5.V0 = Fused.MultiplyAdd(a.V5, b.V0, R5.V0); R5.V1 = Fused.MultiplyAdd(a.V5, b.V1, R5.V1); R5.V2 = Fused.MultiplyAdd(a.V5, b.V2, R5.V2); R5.V3 = Fused.MultiplyAdd(a.V5, b.V3, R5.V3); R5.V4 = Fused.MultiplyAdd(a.V5, b.V4, R5.V4); R5.V5 = Fused.MultiplyAdd(a.V5, b.V5, R5.V5); R5.V6 = Fused.MultiplyAdd(a.V5, b.V6, R5.V6); R5.V7 = Fused.MultiplyAdd(a.V5, b.V7, R5.V7);
        R6.V0 = Fused.MultiplyAdd(a.V6, b.V0, R6.V0); R6.V1 = Fused.MultiplyAdd(a.V6, b.V1, R6.V1); R6.V2 = Fused.MultiplyAdd(a.V6, b.V2, R6.V2); R6.V3 = Fused.MultiplyAdd(a.V6, b.V3, R6.V3); R6.V4 = Fused.MultiplyAdd(a.V6, b.V4, R6.V4); R6.V5 = Fused.MultiplyAdd(a.V6, b.V5, R6.V5); R6.V6 = Fused.MultiplyAdd(a.V6, b.V6, R6.V6); R6.V7 = Fused.MultiplyAdd(a.V6, b.V7, R6.V7);
        R7.V0 = Fused.MultiplyAdd(a.V7, b.V0, R7.V0); R7.V1 = Fused.MultiplyAdd(a.V7, b.V1, R7.V1); R7.V2 = Fused.MultiplyAdd(a.V7, b.V2, R7.V2); R7.V3 = Fused.MultiplyAdd(a.V7, b.V3, R7.V3); R7.V4 = Fused.MultiplyAdd(a.V7, b.V4, R7.V4); R7.V5 = Fused.MultiplyAdd(a.V7, b.V5, R7.V5); R7.V6 = Fused.MultiplyAdd(a.V7, b.V6, R7.V6); R7.V7 = Fused.MultiplyAdd(a.V7, b.V7, R7.V7);
    }

    /// <summary>C += other, row by row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddRows(in Block8x8 other)
    {
        R0 = Vec8f.Add(R0, other.R0); R1 = Vec8f.Add(R1, other.R1); R2 = Vec8f.Add(R2, other.R2); R3 = Vec8f.Add(R3, other.R3);
        R4 = Vec8f.Add(R4, other.R4); R5 = Vec8f.Add(R5, other.R5); R6 = Vec8f.Add(R6, other.R6); R7 = Vec8f.Add(R7, other.R7);
    }

    /// <summary>This block with rows and columns swapped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Block8x8 Transposed() => new()
    {
        R0 = new Vec8f { V0 = R0.V0, V1 = R1.V0, V2 = R2.V0, V3 = R3.V0, V4 = R4.V0, V5 = R5.V0, V6 = R6.V0, V7 = R7.V0 },
        R1 = new Vec8f { V0 = R0.V1, V1 = R1.V1, V2 = R2.V1, V3 = R3.V1, V4 = R4.V1, V5 = R5.V1, V6 = R6.V1, V7 = R7.V1 },
        R2 = new Vec8f { V0 = R0.V2, V1 = R1.V2, V2 = R2.V2, V3 = R3.V2, V4 = R4.V2, V5 = R5.V2, V6 = R6.V2, V7 = R7.V2 },
        R3 = new Vec8f { V0 = R0.V3, V1 = R1.V3, V2 = R2.V3, V3 = R3.V3, V4 = R4.V3, V5 = R5.V3, V6 = R6.V3, V7 = R7.V3 },
        R4 = new Vec8f { V0 = R0.V4, V1 = R1.V4, V2 = R2.V4, V3 = R3.V4, V4 = R4.V4, V5 = R5.V4, V6 = R6.V4, V7 = R7.V4 },
        R5 = new Vec8f { V0 = R0.V5, V1 = R1.V5, V2 = R2.V5, V3 = R3.V5, V4 = R4.V5, V5 = R5.V5, V6 = R6.V5, V7 = R7.V5 },
        R6 = new Vec8f { V0 = R0.V6, V1 = R1.V6, V2 = R2.V6, V3 = R3.V6, V4 = R4.V6, V5 = R5.V6, V6 = R6.V6, V7 = R7.V6 },
        R7 = new Vec8f { V0 = R0.V7, V1 = R1.V7, V2 = R2.V7, V3 = R3.V7, V4 = R4.V7, V5 = R5.V7, V6 = R6.V7, V7 = R7.V7 },
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Get(int r, int c) => Lane(r switch
    {
        0 => R0, 1 => R1, 2 => R2, 3 => R3, 4 => R4, 5 => R5, 6 => R6, _ => R7,
    }, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Lane(Vec8f v, int c) => c switch
    {
        0 => v.V0, 1 => v.V1, 2 => v.V2, 3 => v.V3, 4 => v.V4, 5 => v.V5, 6 => v.V6, _ => v.V7,
    };
}

/// <summary>An 8×16 block of accumulators, one row of 16 per field (half of the 16×16 unit, or the in-place kernel's unit: a strip by a pair of panels).</summary>
internal struct Block8x16
{
    public Vec16f R0, R1, R2, R3, R4, R5, R6, R7;

    /// <summary>C += a·bᵀ, each a·b + c rounded twice (on OpenCL: Fused.MultiplyAdd8x16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddSeparately(in Vec8f a, in Vec16f b)
    {
        R0 = Vec16f.MultiplyAdd(a.V0, b, R0); R1 = Vec16f.MultiplyAdd(a.V1, b, R1);
        R2 = Vec16f.MultiplyAdd(a.V2, b, R2); R3 = Vec16f.MultiplyAdd(a.V3, b, R3);
        R4 = Vec16f.MultiplyAdd(a.V4, b, R4); R5 = Vec16f.MultiplyAdd(a.V5, b, R5);
        R6 = Vec16f.MultiplyAdd(a.V6, b, R6); R7 = Vec16f.MultiplyAdd(a.V7, b, R7);
    }

    /// <summary>C += other, row by row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddRows(in Block8x16 other)
    {
        R0 = Vec16f.Add(R0, other.R0); R1 = Vec16f.Add(R1, other.R1); R2 = Vec16f.Add(R2, other.R2); R3 = Vec16f.Add(R3, other.R3);
        R4 = Vec16f.Add(R4, other.R4); R5 = Vec16f.Add(R5, other.R5); R6 = Vec16f.Add(R6, other.R6); R7 = Vec16f.Add(R7, other.R7);
    }

    /// <summary>Columns 0–7 (<paramref name="right"/>: 8–15) as an 8×8 block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Block8x8 Half(bool right) => right
        ? new Block8x8 { R0 = R0.Hi, R1 = R1.Hi, R2 = R2.Hi, R3 = R3.Hi, R4 = R4.Hi, R5 = R5.Hi, R6 = R6.Hi, R7 = R7.Hi }
        : new Block8x8 { R0 = R0.Lo, R1 = R1.Lo, R2 = R2.Lo, R3 = R3.Lo, R4 = R4.Lo, R5 = R5.Lo, R6 = R6.Lo, R7 = R7.Lo };
}

/// <summary>
/// A 4×24 block of accumulators, four rows of three 8-float panels (row r, panel j: field R{r}{j}):
/// the packed matmul's unit on AVX2, 12 sums in flight in 16 vector registers (8×8 has 8; 8×16 spilled).
/// </summary>
internal struct Block4x24
{
    public Vec8f R0A, R0B, R0C, R1A, R1B, R1C, R2A, R2B, R2C, R3A, R3B, R3C;

    /// <summary>C += (a0..a3)·(b0 b1 b2)ᵀ, each a·b + c rounded twice (on OpenCL: Fused.MultiplyAdd4x24).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddSeparately(float a0, float a1, float a2, float a3, in Vec8f b0, in Vec8f b1, in Vec8f b2)
    {
        R0A = Vec8f.MultiplyAdd(a0, b0, R0A); R0B = Vec8f.MultiplyAdd(a0, b1, R0B); R0C = Vec8f.MultiplyAdd(a0, b2, R0C);
        R1A = Vec8f.MultiplyAdd(a1, b0, R1A); R1B = Vec8f.MultiplyAdd(a1, b1, R1B); R1C = Vec8f.MultiplyAdd(a1, b2, R1C);
        R2A = Vec8f.MultiplyAdd(a2, b0, R2A); R2B = Vec8f.MultiplyAdd(a2, b1, R2B); R2C = Vec8f.MultiplyAdd(a2, b2, R2C);
        R3A = Vec8f.MultiplyAdd(a3, b0, R3A); R3B = Vec8f.MultiplyAdd(a3, b1, R3B); R3C = Vec8f.MultiplyAdd(a3, b2, R3C);
    }

    /// <summary>Panel j (0–2) of the four rows as the top half of an 8×8 block (rows 4–7 zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Block8x8 Panel(int j) => j switch
    {
        0 => new Block8x8 { R0 = R0A, R1 = R1A, R2 = R2A, R3 = R3A },
        1 => new Block8x8 { R0 = R0B, R1 = R1B, R2 = R2B, R3 = R3B },
        _ => new Block8x8 { R0 = R0C, R1 = R1C, R2 = R2C, R3 = R3C },
    };
}

/// <summary>How a packed kernel adds a·bᵀ into a block: <see cref="Unfused"/> or <see cref="FusedOnOpenCL"/> (LaunchPlan.FusedMultiplyAdd).</summary>
internal interface IBlockUpdate
{
    void Add(ref Block8x8 acc, in Vec8f a, in Vec8f b);

    void Add(ref Block8x16 acc, in Vec8f a, in Vec16f b);

    /// <summary>acc += other, row by row (a partial sum added into its total).</summary>
    void AddRows(ref Block8x16 acc, ref Block8x16 other);

    void Add(ref Block4x24 acc, float a0, float a1, float a2, float a3, in Vec8f b0, in Vec8f b1, in Vec8f b2);
}

/// <summary>
/// Each a·b + c rounded twice, by <see cref="Block8x8.Add"/> as written: the CPU accelerator and CUDA.
/// (On the CPU accelerator a generic a·b + c per element, 64 calls in one Add, ran 1.5–6× slower.)
/// </summary>
internal readonly struct Unfused : IBlockUpdate
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ref Block8x8 acc, in Vec8f a, in Vec8f b) => acc.Add(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ref Block8x16 acc, in Vec8f a, in Vec16f b) => acc.AddSeparately(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddRows(ref Block8x16 acc, ref Block8x16 other) => acc.AddRows(other);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ref Block4x24 acc, float a0, float a1, float a2, float a3, in Vec8f b0, in Vec8f b1, in Vec8f b2) =>
        acc.AddSeparately(a0, a1, a2, a3, b0, b1, b2);
}

/// <summary>Each a·b + c as OpenCL's fma: OpenCL only, the one backend <see cref="Fused"/> is registered for.</summary>
internal readonly struct FusedOnOpenCL : IBlockUpdate
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ref Block8x8 acc, in Vec8f a, in Vec8f b) => Fused.MultiplyAdd8x8(ref acc, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ref Block8x16 acc, in Vec8f a, in Vec16f b) => Fused.MultiplyAdd8x16(ref acc, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddRows(ref Block8x16 acc, ref Block8x16 other) => Fused.AddRows8x16(ref acc, ref other);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ref Block4x24 acc, float a0, float a1, float a2, float a3, in Vec8f b0, in Vec8f b1, in Vec8f b2) =>
        Fused.MultiplyAdd4x24(ref acc, a0, a1, a2, a3, b0, b1, b2);
}

/// <summary>A's rows as a 4×24 unit reads them: the strip of unit rows, then one value of row r at k.</summary>
internal interface IStripRows<TSelf> where TSelf : struct
{
    /// <summary>The rows of strip <paramref name="strip"/> (rows 8·strip to 8·strip + 7).</summary>
    TSelf At(int strip, MatMulArgs p);

    /// <summary>Row <paramref name="r"/> (0–7, a constant where inlined) of the strip at depth <paramref name="k"/>.</summary>
    float Row(int r, int k);
}

/// <summary>A packed into strips of 8 rows interleaved along K (the pack kernel's layout, or a convolution's).</summary>
public readonly record struct PackedStrips(ArrayView<Vec8f> Strips) : IStripRows<PackedStrips>
{
    /// <summary>The strip's own view, indexed by k alone (as the panels of B are).</summary>
    public PackedStrips At(int strip, MatMulArgs p) => new(Strips.SubView((long)strip * p.K));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Row(int r, int k)
    {
        var v = Strips[k];
        return r switch { 0 => v.V0, 1 => v.V1, 2 => v.V2, 3 => v.V3, 4 => v.V4, 5 => v.V5, 6 => v.V6, _ => v.V7 };
    }
}

/// <summary>
/// A read where it lies, for an A whose rows run along K (stride 1 in k): 8 row streams instead of a
/// pack. Rows past M read the last row; their results are never stored. Each row is a view of its
/// own (<see cref="At"/>): with 32-bit offsets into one view LLVM built the row addresses of every
/// step as a vector and extracted them one by one.
/// </summary>
public readonly struct RowsAlongK : IStripRows<RowsAlongK>
{
    private readonly ArrayView<float> _a, _r0, _r1, _r2, _r3, _r4, _r5, _r6, _r7;

    /// <summary>All of A, before <see cref="At"/> picks a strip's rows.</summary>
    public RowsAlongK(ArrayView<float> a) => _a = a;

    private RowsAlongK(ArrayView<float> a, int i, int last, int stride)
    {
        _a = a;
        _r0 = Row(a, i, last, stride); _r1 = Row(a, i + 1, last, stride); _r2 = Row(a, i + 2, last, stride); _r3 = Row(a, i + 3, last, stride);
        _r4 = Row(a, i + 4, last, stride); _r5 = Row(a, i + 5, last, stride); _r6 = Row(a, i + 6, last, stride); _r7 = Row(a, i + 7, last, stride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ArrayView<float> Row(ArrayView<float> a, int i, int last, int stride) => a.SubView((long)Math.Min(i, last) * stride);

    public RowsAlongK At(int strip, MatMulArgs p) => new(_a, strip * 8, p.M - 1, p.StrideAi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vec8f Get(int k)
    {
        Vec8f v;
        v.V0 = _r0[k]; v.V1 = _r1[k]; v.V2 = _r2[k]; v.V3 = _r3[k];
        v.V4 = _r4[k]; v.V5 = _r5[k]; v.V6 = _r6[k]; v.V7 = _r7[k];
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Row(int r, int k) => r switch { 0 => _r0[k], 1 => _r1[k], 2 => _r2[k], 3 => _r3[k], 4 => _r4[k], 5 => _r5[k], 6 => _r6[k], _ => _r7[k] };
}

public sealed class MatMulKernels : IKernelFamily<MatMulKernels>
{
    // Tiled: block tile, threads per side, k-slice, and the padded row length of the shared tiles
    // (65 spreads the transposing stores over the banks of a GPU's shared memory).
    private const int Tile = 64, Side = 16, SliceK = 16, Pad = Tile + 1;

    /// <summary>Strips of A per band of the packed kernel's block order (8 strips of 8 rows at K = 1024: 256 KB).</summary>
    private const int BandStrips = 8;

    /// <summary>Threads per group the tiled kernel needs (16×16).</summary>
    public const int TiledGroupThreads = Side * Side;
    private const int GroupThreads = TiledGroupThreads;

    private readonly LaunchPlan _plan;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulArgs> _tiled;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulArgs> _blocked;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<Vec8f>, int, int, int, int, SpecializedValue<int>, SpecializedValue<int>> _pack;
    private readonly Action<KernelConfig, PackedStrips, ArrayView<Vec8f>, ArrayView<float>, ArrayView<float>, MatMulArgs> _packed;
    private readonly Action<KernelConfig, RowsAlongK, ArrayView<Vec8f>, ArrayView<float>, ArrayView<float>, MatMulArgs>? _packedInPlace;
    private readonly Accelerator _accelerator;
    private readonly int _maxGroupSize;

    /// <summary>The kernel this accelerator runs by default (<see cref="LaunchPlan.MatMulAlgorithm"/>).</summary>
    public MatMulAlgorithm DefaultAlgorithm => _plan.MatMulAlgorithm;

    /// <summary>The kernel that runs for a request of <paramref name="algorithm"/> here (the default when unsupported).</summary>
    public MatMulAlgorithm Resolve(MatMulAlgorithm algorithm) => Supports(algorithm) ? algorithm : DefaultAlgorithm;

    /// <summary>Whether this accelerator can run <paramref name="algorithm"/> (Tiled needs groups of 256 threads).</summary>
    public bool Supports(MatMulAlgorithm algorithm) => algorithm != MatMulAlgorithm.Tiled || _maxGroupSize >= GroupThreads;

    private MatMulKernels(Accelerator accelerator, LaunchPlan plan)
    {
        _plan = plan;
        _accelerator = accelerator;
        _maxGroupSize = accelerator.MaxNumThreadsPerGroup;
        _tiled = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulArgs>(TiledKernel);
        _blocked = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulArgs>(BlockedKernel);
        _pack = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Vec8f>, int, int, int, int, SpecializedValue<int>, SpecializedValue<int>>(PackKernel);
        if (plan.FusedMultiplyAdd) LoadPacked<FusedOnOpenCL>(accelerator, plan, out _packed, out _packedInPlace);
        else LoadPacked<Unfused>(accelerator, plan, out _packed, out _packedInPlace);
    }

    private static void LoadPacked<TUpdate>(Accelerator accelerator, LaunchPlan plan,
        out Action<KernelConfig, PackedStrips, ArrayView<Vec8f>, ArrayView<float>, ArrayView<float>, MatMulArgs> packed,
        out Action<KernelConfig, RowsAlongK, ArrayView<Vec8f>, ArrayView<float>, ArrayView<float>, MatMulArgs>? packedInPlace)
        where TUpdate : struct, IBlockUpdate
    {
        packed = accelerator.LoadStreamKernel<PackedStrips, ArrayView<Vec8f>, ArrayView<float>, ArrayView<float>, MatMulArgs>(
            plan.PackedPanels switch { 2 => PackedQuadsKernel<TUpdate>, 3 => PackedTriplesKernel<TUpdate>, _ => PackedKernel<TUpdate> });
        packedInPlace = plan.PackedInPlaceColumns > 0
            ? accelerator.LoadStreamKernel<RowsAlongK, ArrayView<Vec8f>, ArrayView<float>, ArrayView<float>, MatMulArgs>(
                plan.PackedPanels == 3 ? PackedTriplesInPlaceKernel<TUpdate> : PackedPairsInPlaceKernel<TUpdate>)
            : null;
    }

    public static MatMulKernels Load(Accelerator accelerator, LaunchPlan plan) => new(accelerator, plan);

    /// <summary>Writes (or adds) one finished output, with the bias of its column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ArrayView<float> c, ArrayView<float> bias, MatMulArgs p, int i, int j, float v)
    {
        if (p.HasBias != 0) v += bias[j];
        int at = i * p.N + j;
        if (p.Accumulate != 0) c[at] += v;
        else c[at] = v;
    }

    /// <summary>One group computes the 64×64 block (Grid.IdxX / tilesN, Grid.IdxX % tilesN) of C.</summary>
    private static void TiledKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, MatMulArgs p)
    {
        var aTile = SharedMemory.Allocate<float>(SliceK * Pad); // aTile[kk·Pad + r] = A(row0 + r, k0 + kk)
        var bTile = SharedMemory.Allocate<float>(SliceK * Pad); // bTile[kk·Pad + s] = B(k0 + kk, col0 + s)
        int tid = Group.IdxX;
        int tx = tid % Side, ty = tid / Side;
        int tilesN = (p.N + Tile - 1) / Tile;
        int row0 = Grid.IdxX / tilesN * Tile;
        int col0 = Grid.IdxX % tilesN * Tile;
        // Stage the slices so that neighbouring threads read neighbouring addresses of A and B.
        bool aAlongK = p.StrideAk == 1, bAlongN = p.StrideBj == 1;
        var acc = default(Block4x4);
        for (int k0 = 0; k0 < p.K; k0 += SliceK)
        {
            for (int l = 0; l < Tile * SliceK / GroupThreads; l++)
            {
                int e = tid + l * GroupThreads;
                int r = aAlongK ? e / SliceK : e % Tile;
                int kk = aAlongK ? e % SliceK : e / Tile;
                int gi = row0 + r, gk = k0 + kk;
                aTile[kk * Pad + r] = gi < p.M && gk < p.K ? a[gi * p.StrideAi + gk * p.StrideAk] : 0f;
                int s = bAlongN ? e % Tile : e / SliceK;
                kk = bAlongN ? e / Tile : e % SliceK;
                int gj = col0 + s;
                gk = k0 + kk;
                bTile[kk * Pad + s] = gj < p.N && gk < p.K ? b[gk * p.StrideBk + gj * p.StrideBj] : 0f;
            }
            Group.Barrier();
            for (int kk = 0; kk < SliceK; kk++)
            {
                int ar = kk * Pad + ty, bs = kk * Pad + tx;
                acc.Add(aTile[ar], aTile[ar + Side], aTile[ar + 2 * Side], aTile[ar + 3 * Side],
                    bTile[bs], bTile[bs + Side], bTile[bs + 2 * Side], bTile[bs + 3 * Side]);
            }
            Group.Barrier();
        }
        for (int r = 0; r < 4; r++)
        {
            int i = row0 + ty + r * Side;
            if (i >= p.M) break;
            for (int s = 0; s < 4; s++)
            {
                int j = col0 + tx + s * Side;
                if (j < p.N) Store(c, bias, p, i, j, acc.Get(r, s));
            }
        }
    }

    /// <summary>
    /// Thread t of T computes the 4×4 blocks [t·B/T, (t+1)·B/T) of C, numbered down each column
    /// panel first: consecutive blocks share their panel of B.
    /// </summary>
    private static void BlockedKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, MatMulArgs p)
    {
        int strips = (p.M + 3) / 4, panels = (p.N + 3) / 4;
        GridLoop.Share((long)strips * panels, out int begin, out int end);
        int sak = p.StrideAk, sbk = p.StrideBk;
        for (int u = begin; u < end; u++)
        {
            int i0 = u % strips * 4, j0 = u / strips * 4;
            // Clamped rows and columns: loads stay in bounds, the duplicates are never stored.
            int a0 = i0 * p.StrideAi;
            int a1 = (i0 + 1 < p.M ? i0 + 1 : p.M - 1) * p.StrideAi;
            int a2 = (i0 + 2 < p.M ? i0 + 2 : p.M - 1) * p.StrideAi;
            int a3 = (i0 + 3 < p.M ? i0 + 3 : p.M - 1) * p.StrideAi;
            int b0 = j0 * p.StrideBj;
            int b1 = (j0 + 1 < p.N ? j0 + 1 : p.N - 1) * p.StrideBj;
            int b2 = (j0 + 2 < p.N ? j0 + 2 : p.N - 1) * p.StrideBj;
            int b3 = (j0 + 3 < p.N ? j0 + 3 : p.N - 1) * p.StrideBj;
            var acc = default(Block4x4);
            for (int k = 0; k < p.K; k++)
            {
                acc.Add(a[a0], a[a1], a[a2], a[a3], b[b0], b[b1], b[b2], b[b3]);
                a0 += sak; a1 += sak; a2 += sak; a3 += sak;
                b0 += sbk; b1 += sbk; b2 += sbk; b3 += sbk;
            }
            for (int r = 0; r < 4 && i0 + r < p.M; r++)
                for (int s = 0; s < 4 && j0 + s < p.N; s++)
                    Store(c, bias, p, i0 + r, j0 + s, acc.Get(r, s));
        }
    }

    /// <summary>
    /// dst[s·depth + k] = the 8 values src[(8s + r)·strideRow + k·strideDepth], r = 0..7, 0 past
    /// <paramref name="rows"/>: op(A) by strips of 8 rows, or op(B) by panels of 8 columns, each
    /// interleaved along K. One run of <see cref="PackRun"/> values of k of one strip per index of
    /// GridLoop.For; <paramref name="rowsAdjacent"/> is 1 where strideRow is 1 (a strip's 8 values at
    /// k are one contiguous load).
    /// </summary>
    private static void PackKernel(ArrayView<float> src, ArrayView<Vec8f> dst, int rows, int depth, int strideRow, int strideDepth,
        SpecializedValue<int> oneItem, SpecializedValue<int> rowsAdjacent)
    {
        int runs = PackRuns(depth);
        GridLoop.For((rows + 7) / 8 * runs, oneItem, new PackAt(src, dst, rows, depth, runs, strideRow, strideDepth, rowsAdjacent.Value != 0));
    }

    /// <summary>
    /// Values of k per work-item of the pack: one value each spent most of the pack's time on the
    /// work-item's own set-up (a division and the strip's clamped addresses for every 32 bytes).
    /// </summary>
    private const int PackRun = 64;

    private static int PackRuns(int depth) => (depth + PackRun - 1) / PackRun;

    private readonly record struct PackAt(ArrayView<float> Src, ArrayView<Vec8f> Dst, int Rows, int Depth, int Runs, int StrideRow,
        int StrideDepth, bool RowsAdjacent) : IGridBody
    {
        public void Invoke(int e)
        {
            int strip = e / Runs, k0 = (e - strip * Runs) * PackRun, k1 = Math.Min(k0 + PackRun, Depth);
            int row = strip * 8, d = strip * Depth;
            if (row + 8 > Rows)
            {
                for (int k = k0; k < k1; k++) Dst[d + k] = Clamped(row, k);
            }
            else
            {
                int sr = RowsAdjacent ? 1 : StrideRow; // a constant 1 where adjacent: the 8 loads become one
                for (int k = k0; k < k1; k++)
                    Dst[d + k] = Vec8f.Load(Src, row * sr + k * StrideDepth, sr);
            }
        }

        /// <summary>The last strip's values at k, 0 past the last row (each load clamped to the last row, so that it is unconditional).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private Vec8f Clamped(int row, int k)
        {
            int at = row * StrideRow + k * StrideDepth;
            Vec8f v;
            v.V0 = Row(at, row, 0);
            v.V1 = Row(at, row, 1);
            v.V2 = Row(at, row, 2);
            v.V3 = Row(at, row, 3);
            v.V4 = Row(at, row, 4);
            v.V5 = Row(at, row, 5);
            v.V6 = Row(at, row, 6);
            v.V7 = Row(at, row, 7);
            return v;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private float Row(int at, int row, int r)
        {
            float v = Src[at + Math.Min(r, Rows - 1 - row) * StrideRow];
            return row + r < Rows ? v : 0f;
        }
    }

    /// <summary>
    /// Thread t of T computes the 8×8 blocks [t·B/T, (t+1)·B/T) of C from packed strips of A and
    /// panels of B (the CPU accelerator's form: <see cref="LaunchPlan.PackedPanels"/>).
    /// </summary>
    private static void PackedKernel<TUpdate>(PackedStrips ap, ArrayView<Vec8f> bp, ArrayView<float> c, ArrayView<float> bias, MatMulArgs p)
        where TUpdate : struct, IBlockUpdate
    {
        var strips8 = ap.Strips; // indexed here directly: through Get the CPU accelerator ran 10% slower
        int strips = (p.M + 7) / 8, panels = (p.N + 7) / 8;
        GridLoop.Share((long)strips * panels, out int begin, out int end);
        for (int u = begin; u < end; u++)
        {
            UnitAt(u, strips, panels, BandStrips, out int strip, out int panel);
            int pa = strip * p.K, pb = panel * p.K;
            var acc = default(Block8x8);
            for (int k = 0; k < p.K; k++)
                default(TUpdate).Add(ref acc, strips8[pa + k], bp[pb + k]);
            StoreBlock(c, bias, p, strip * 8, panel * 8, acc);
        }
    }

    /// <summary>
    /// 16×16 units, two strips by a pair of panels: each 16 values of B loaded serve 16 rows, and the
    /// two 8×16 blocks give 16 independent sums in flight (PoCL's form on AVX-512). At an odd last
    /// strip or panel the unit reads the last one twice and stores it once.
    /// </summary>
    private static void PackedQuadsKernel<TUpdate>(PackedStrips ap, ArrayView<Vec8f> bp, ArrayView<float> c, ArrayView<float> bias, MatMulArgs p)
        where TUpdate : struct, IBlockUpdate
    {
        var strips8 = ap.Strips;
        int strips = (p.M + 7) / 8, panels = (p.N + 7) / 8, twins = (strips + 1) / 2, pairs = (panels + 1) / 2;
        GridLoop.Share((long)twins * pairs, out int begin, out int end);
        for (int u = begin; u < end; u++)
        {
            UnitAt(u, twins, pairs, BandStrips / 2, out int twin, out int pair);
            int s0 = twin * 2, s1 = Math.Min(s0 + 1, strips - 1), q0 = pair * 2, q1 = Math.Min(q0 + 1, panels - 1);
            int pa = s0 * p.K, pa1 = s1 * p.K, pb = q0 * p.K, pb1 = q1 * p.K;
            var top = default(Block8x16);
            var bottom = default(Block8x16);
            for (int k = 0; k < p.K; k++)
            {
                Vec16f b;
                b.Lo = bp[pb + k];
                b.Hi = bp[pb1 + k];
                default(TUpdate).Add(ref top, strips8[pa + k], b);
                default(TUpdate).Add(ref bottom, strips8[pa1 + k], b);
            }
            int i0 = s0 * 8, j0 = q0 * 8;
            StoreBlock(c, bias, p, i0, j0, top.Half(false));
            if (q1 > q0) StoreBlock(c, bias, p, i0, j0 + 8, top.Half(true));
            if (s1 > s0)
            {
                StoreBlock(c, bias, p, i0 + 8, j0, bottom.Half(false));
                if (q1 > q0) StoreBlock(c, bias, p, i0 + 8, j0 + 8, bottom.Half(true));
            }
        }
    }

    /// <summary>
    /// A strip by three panels, as two 4×24 units one after the other (rows 0–3, then 4–7): 12 sums of
    /// 8 lanes in flight (PoCL's form on AVX2, 16 vector registers). Where the panels are not a multiple
    /// of three the last unit reads the last panel again and stores it once.
    /// </summary>
    private static void PackedTriplesKernel<TUpdate>(PackedStrips ap, ArrayView<Vec8f> bp, ArrayView<float> c, ArrayView<float> bias, MatMulArgs p)
        where TUpdate : struct, IBlockUpdate => Triples<TUpdate, PackedStrips>(ap, bp, c, bias, p);

    /// <summary>As <see cref="PackedTriplesKernel{TUpdate}"/> with A read in place (4 row streams a pass, broadcast as the packed strip's values are).</summary>
    private static void PackedTriplesInPlaceKernel<TUpdate>(RowsAlongK ap, ArrayView<Vec8f> bp, ArrayView<float> c, ArrayView<float> bias, MatMulArgs p)
        where TUpdate : struct, IBlockUpdate => Triples<TUpdate, RowsAlongK>(ap, bp, c, bias, p);

    /// <summary>The 4×24 units of both forms, over A packed or in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Triples<TUpdate, TRows>(TRows rows, ArrayView<Vec8f> bp, ArrayView<float> c, ArrayView<float> bias, MatMulArgs p)
        where TUpdate : struct, IBlockUpdate where TRows : struct, IStripRows<TRows>
    {
        int strips = (p.M + 7) / 8, panels = (p.N + 7) / 8, triples = (panels + 2) / 3;
        GridLoop.Share((long)strips * triples, out int begin, out int end);
        for (int u = begin; u < end; u++)
        {
            UnitAt(u, strips, triples, BandStrips, out int strip, out int triple);
            int q0 = triple * 3, q1 = Math.Min(q0 + 1, panels - 1), q2 = Math.Min(q0 + 2, panels - 1);
            // The panels as views of their own, indexed by k alone, as the rows of A are.
            var b0 = bp.SubView((long)q0 * p.K);
            var b1 = bp.SubView((long)q1 * p.K);
            var b2 = bp.SubView((long)q2 * p.K);
            var a = rows.At(strip, p);
            var top = default(Block4x24);
            for (int k = 0; k < p.K; k++)
                default(TUpdate).Add(ref top, a.Row(0, k), a.Row(1, k), a.Row(2, k), a.Row(3, k), b0[k], b1[k], b2[k]);
            var bottom = default(Block4x24);
            for (int k = 0; k < p.K; k++)
                default(TUpdate).Add(ref bottom, a.Row(4, k), a.Row(5, k), a.Row(6, k), a.Row(7, k), b0[k], b1[k], b2[k]);
            int i0 = strip * 8;
            StoreRows(c, bias, p, i0, q0 * 8, top.Panel(0), bottom.Panel(0));
            if (q1 > q0) StoreRows(c, bias, p, i0, q1 * 8, top.Panel(1), bottom.Panel(1));
            if (q2 > q1) StoreRows(c, bias, p, i0, q2 * 8, top.Panel(2), bottom.Panel(2));
        }
    }

    /// <summary>Stores the 8×8 block at (i0, j0) whose rows 0–3 are <paramref name="top"/>'s and 4–7 <paramref name="bottom"/>'s rows 0–3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRows(ArrayView<float> c, ArrayView<float> bias, MatMulArgs p, int i0, int j0, in Block8x8 top, in Block8x8 bottom) =>
        StoreBlock(c, bias, p, i0, j0, new Block8x8 { R0 = top.R0, R1 = top.R1, R2 = top.R2, R3 = top.R3, R4 = bottom.R0, R5 = bottom.R1, R6 = bottom.R2, R7 = bottom.R3 });

    /// <summary>
    /// 8×16 units, a strip by a pair of panels (the last panel alone where the panels are odd), with A
    /// read in place (<see cref="RowsAlongK"/>): each 8 values of A loaded serve 16 columns.
    /// </summary>
    private static void PackedPairsInPlaceKernel<TUpdate>(RowsAlongK ap, ArrayView<Vec8f> bp, ArrayView<float> c, ArrayView<float> bias, MatMulArgs p)
        where TUpdate : struct, IBlockUpdate
    {
        int strips = (p.M + 7) / 8, panels = (p.N + 7) / 8, pairs = (panels + 1) / 2;
        GridLoop.Share((long)strips * pairs, out int begin, out int end);
        for (int u = begin; u < end; u++)
        {
            UnitAt(u, strips, pairs, BandStrips, out int strip, out int pair);
            var strips8 = ap.At(strip, p);
            int panel = pair * 2, pb = panel * p.K;
            int i0 = strip * 8, j0 = panel * 8;
            if (panel + 1 < panels)
            {
                var acc = default(Block8x16);
                int pc = pb + p.K;
                for (int k = 0; k < p.K; k++)
                {
                    Vec16f b;
                    b.Lo = bp[pb + k];
                    b.Hi = bp[pc + k];
                    default(TUpdate).Add(ref acc, strips8.Get(k), b);
                }
                StoreBlock(c, bias, p, i0, j0, acc.Half(false));
                StoreBlock(c, bias, p, i0, j0 + 8, acc.Half(true));
            }
            else
            {
                var acc = default(Block8x8);
                for (int k = 0; k < p.K; k++)
                    default(TUpdate).Add(ref acc, strips8.Get(k), bp[pb + k]);
                StoreBlock(c, bias, p, i0, j0, acc);
            }
        }
    }

    /// <summary>
    /// The strip and column (panel or pair of panels) of unit <paramref name="u"/>. Units are numbered
    /// by bands of <see cref="BandStrips"/> strips, down each column of a band first: a band's strips
    /// of A stay in L2 while its panels of B pass by, each used by the band's strips in turn.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UnitAt(int u, int strips, int columns, int bandStrips, out int strip, out int column)
    {
        int band = u / (bandStrips * columns), inBand = u - band * bandStrips * columns;
        int height = Math.Min(bandStrips, strips - band * bandStrips);
        strip = band * bandStrips + inBand % height;
        column = inBand / height;
    }

    /// <summary>Stores the 8×8 block at (i0, j0), clipped to C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreBlock(ArrayView<float> c, ArrayView<float> bias, MatMulArgs p, int i0, int j0, Block8x8 acc)
    {
        if (i0 + 8 <= p.M && j0 + 8 <= p.N)
        {
            // Whole rows of 8 with the flags tested once per row: PoCL stores each row as one vector.
            int at = i0 * p.N + j0;
            StoreRow(c, bias, p, at, j0, acc.R0);
            StoreRow(c, bias, p, at + p.N, j0, acc.R1);
            StoreRow(c, bias, p, at + 2 * p.N, j0, acc.R2);
            StoreRow(c, bias, p, at + 3 * p.N, j0, acc.R3);
            StoreRow(c, bias, p, at + 4 * p.N, j0, acc.R4);
            StoreRow(c, bias, p, at + 5 * p.N, j0, acc.R5);
            StoreRow(c, bias, p, at + 6 * p.N, j0, acc.R6);
            StoreRow(c, bias, p, at + 7 * p.N, j0, acc.R7);
            return;
        }
        for (int r = 0; r < 8 && i0 + r < p.M; r++)
            for (int s = 0; s < 8 && j0 + s < p.N; s++)
                Store(c, bias, p, i0 + r, j0 + s, acc.Get(r, s));
    }

    /// <summary>As <see cref="Store"/> for the 8 outputs from <paramref name="at"/> (column <paramref name="j"/>) on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ArrayView<float> c, ArrayView<float> bias, MatMulArgs p, int at, int j, Vec8f v)
    {
        if (p.HasBias != 0)
        {
            v.V0 += bias[j]; v.V1 += bias[j + 1]; v.V2 += bias[j + 2]; v.V3 += bias[j + 3];
            v.V4 += bias[j + 4]; v.V5 += bias[j + 5]; v.V6 += bias[j + 6]; v.V7 += bias[j + 7];
        }
        if (p.Accumulate != 0)
        {
            v.V0 += c[at]; v.V1 += c[at + 1]; v.V2 += c[at + 2]; v.V3 += c[at + 3];
            v.V4 += c[at + 4]; v.V5 += c[at + 5]; v.V6 += c[at + 6]; v.V7 += c[at + 7];
        }
        c[at] = v.V0; c[at + 1] = v.V1; c[at + 2] = v.V2; c[at + 3] = v.V3;
        c[at + 4] = v.V4; c[at + 5] = v.V5; c[at + 6] = v.V6; c[at + 7] = v.V7;
    }

    private readonly object _scratchLock = new();
    private MemoryBuffer1D<float, Stride1D.Dense>? _scratch;

    /// <summary>The scratch buffer for packed panels, grown when needed.</summary>
    private ArrayView<float> Scratch(long length)
    {
        if (_scratch is null || _scratch.Length < length)
        {
            _accelerator.Synchronize();   // a running kernel may still read the old one
            _scratch?.Dispose();
            _scratch = _accelerator.Allocate1D<float>(Math.Max(length, 1024));
        }
        return _scratch.View.SubView(0, length);
    }

    /// <summary>
    /// C = op(A)·op(B) (+ bias over rows) (+ C when <paramref name="accumulate"/>), with the
    /// accelerator's default kernel. <paramref name="bias"/> may be empty (default).
    /// </summary>
    public void MatMul(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int m, int n, int k,
        bool transposeA = false, bool transposeB = false, ArrayView<float> bias = default, bool accumulate = false) =>
        MatMul(DefaultAlgorithm, a, b, c, m, n, k, transposeA, transposeB, bias, accumulate);

    /// <summary>As <see cref="MatMul(ArrayView{float}, ArrayView{float}, ArrayView{float}, int, int, int, bool, bool, ArrayView{float}, bool)"/> with a chosen kernel (tests, benchmarks).</summary>
    public void MatMul(MatMulAlgorithm algorithm, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int m, int n, int k,
        bool transposeA = false, bool transposeB = false, ArrayView<float> bias = default, bool accumulate = false)
    {
        var args = Check(a, b, c, m, n, k, transposeA, transposeB, bias, accumulate, true, true);
        // Tiled needs 256-thread groups; an accelerator with smaller groups (the CPU simulator) runs
        // its own default kernel instead: a fallback, never a failure.
        algorithm = Resolve(algorithm);
        if (m == 0 || n == 0) return;
        var biasView = args.HasBias != 0 ? bias : c; // an unused but valid view
        if (algorithm == MatMulAlgorithm.Tiled)
        {
            int groups = (m + Tile - 1) / Tile * ((n + Tile - 1) / Tile);
            _tiled(new KernelConfig(groups, GroupThreads), a, b, c, biasView, args);
        }
        else if (algorithm == MatMulAlgorithm.Packed)
            RunPacked(null, null, a, b, c, biasView, args);
        else
        {
            long blocks = (long)((m + 3) / 4) * ((n + 3) / 4);
            _blocked(_plan.BlockShare(blocks, _plan.BlockedGroupSize), a, b, c, biasView, args);
        }
    }

    /// <summary>
    /// As MatMul with the packed kernel, where the caller may pack an operand itself (a convolution
    /// packs straight from its NCHW input, with no im2col matrix): <paramref name="packA"/> writes
    /// ⌈M/8⌉ strips of K values of 8 rows, <paramref name="packB"/> ⌈N/8⌉ panels of K values of 8
    /// columns, zero past the last row or column (the layout of <see cref="PackKernel"/>). Where a pack
    /// is null its view is packed as MatMul does; where it is given its view is not read.
    /// </summary>
    public void MatMulPacked(Action<ArrayView<Vec8f>>? packA, Action<ArrayView<Vec8f>>? packB, ArrayView<float> a, ArrayView<float> b,
        ArrayView<float> c, int m, int n, int k, bool transposeA = false, bool transposeB = false, ArrayView<float> bias = default,
        bool accumulate = false)
    {
        var args = Check(a, b, c, m, n, k, transposeA, transposeB, bias, accumulate, packA is null, packB is null);
        if (m == 0 || n == 0) return;
        RunPacked(packA, packB, a, b, c, args.HasBias != 0 ? bias : c, args);
    }

    /// <summary>The launch arguments, after checking sizes and the views that will be read.</summary>
    private static MatMulArgs Check(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int m, int n, int k,
        bool transposeA, bool transposeB, ArrayView<float> bias, bool accumulate, bool readsA, bool readsB)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"matmul sizes must be ≥ 0; got M={m}, N={n}, K={k}");
        if ((readsA && a.Length < (long)m * k) || (readsB && b.Length < (long)k * n) || c.Length < (long)m * n)
            throw new ArgumentException($"matmul views too short for M={m}, N={n}, K={k}: a {a.Length}, b {b.Length}, c {c.Length}");
        bool hasBias = bias.IsValid && bias.Length > 0;
        if (hasBias && bias.Length < n) throw new ArgumentException($"bias has {bias.Length} values; needs N={n}");
        return MatMulArgs.For(m, n, k, transposeA, transposeB, hasBias, accumulate);
    }

    /// <summary>Launches <see cref="PackKernel"/> for a <paramref name="rows"/> × <paramref name="depth"/> operand.</summary>
    private void Pack(ArrayView<float> src, ArrayView<Vec8f> dst, int rows, int depth, int strideRow, int strideDepth) =>
        _pack(_plan.GridStride((long)(rows + 7) / 8 * PackRuns(depth)), src, dst, rows, depth, strideRow, strideDepth, _plan.OneItem,
            SpecializedValue.New(strideRow == 1 ? 1 : 0));

    /// <summary>Packs A and B into the scratch buffer (by the given packs, else from the views) and runs the packed kernel.</summary>
    private void RunPacked(Action<ArrayView<Vec8f>>? packA, Action<ArrayView<Vec8f>>? packB, ArrayView<float> a, ArrayView<float> b,
        ArrayView<float> c, ArrayView<float> biasView, MatMulArgs args)
    {
        long strips = (args.M + 7) / 8, panels = (args.N + 7) / 8;
        bool inPlace = packA is null && _packedInPlace is not null && args.StrideAk == 1 && args.N <= _plan.PackedInPlaceColumns;
        long aLen = inPlace ? 0 : strips * args.K * 8, bLen = panels * args.K * 8;
        lock (_scratchLock)
        {
            var scratch = Scratch(Math.Max(1, aLen + bLen));
            var ap = scratch.SubView(0, aLen).Cast<Vec8f>();
            var bp = scratch.SubView(aLen, bLen).Cast<Vec8f>();
            if (args.K > 0)
            {
                if (packA is not null) packA(ap);
                else if (!inPlace) Pack(a, ap, args.M, args.K, args.StrideAi, args.StrideAk);
                if (packB is not null) packB(bp);
                else Pack(b, bp, args.N, args.K, args.StrideBj, args.StrideBk);
            }
            long rowUnits = inPlace || _plan.PackedPanels != 2 ? strips : (strips + 1) / 2;
            var grid = _plan.PackedShare(rowUnits * ((panels + _plan.PackedPanels - 1) / _plan.PackedPanels));
            if (inPlace) _packedInPlace!(grid, new RowsAlongK(a), bp, c, biasView, args);
            else _packed(grid, new PackedStrips(ap), bp, c, biasView, args);
        }
    }
}
