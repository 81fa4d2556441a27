// Choosing between two already computed floats by the sign of a third, without a branch.
//
// Why: the CPU accelerator runs kernels as ordinary .NET code, and .NET compiles a float `c ? a : b`
// to a conditional jump. An activation's input is negative about half the time in no pattern, so
// that jump mispredicts about every other element; selecting on the bits costs a few integer
// operations and never mispredicts. Other backends keep `c ? a : b`, which they compile to a select,
// and on PoCL the bit form stopped the vectoriser (figures in docs/performance.md).
//
// The choice is made here, by Accelerator.CurrentType, a constant in every kernel (CPU on the CPU
// accelerator and on the host), not in LaunchPlan: read through a LaunchPlan property it added an
// inlining level, after which the JIT compiled NegativeMask as a method of its own (so somewhere it
// was called, not inlined), which it does not do with the test written here.
//
// The condition is exactly the float comparison x < 0: false for −0 and for NaN of either sign.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace Activations.Kernels;

/// <summary>Branch-free selects on the sign of a float, exactly as the comparison <c>x &lt; 0</c>.</summary>
public static class BitSelect
{
    /// <summary>
    /// All bits set (−1) where x &lt; 0, else 0. With b the bits and m = b &amp; 0x7FFFFFFF the magnitude,
    /// x &lt; 0 exactly when the sign bit is set, m &gt; 0 (not −0) and m ≤ 0x7F800000 (not NaN):
    /// three sign bits of integers that cannot overflow, ANDed and spread by an arithmetic shift.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)] // see ExpMath
    public static int NegativeMask(float x)
    {
        int b = (int)Interop.FloatAsInt(x);
        int m = b & 0x7FFFFFFF;
        return (b & -m & (m - 0x7F800001)) >> 31;
    }

    /// <summary><paramref name="ifNegative"/> where x &lt; 0, else <paramref name="otherwise"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)] // see ExpMath
    public static float IfNegative(float x, float ifNegative, float otherwise)
    {
        if (Accelerator.CurrentType != AcceleratorType.CPU) return x < 0f ? ifNegative : otherwise;
        uint mask = (uint)NegativeMask(x);
        return Interop.IntAsFloat((Interop.FloatAsInt(ifNegative) & mask) | (Interop.FloatAsInt(otherwise) & ~mask));
    }

    /// <summary><paramref name="ifPositive"/> where x &gt; 0, else <paramref name="otherwise"/> (x &gt; 0 exactly when −x &lt; 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)] // see ExpMath
    public static float IfPositive(float x, float ifPositive, float otherwise) => IfNegative(-x, ifPositive, otherwise);
}
