// The loop every 1-D kernel runs, written once: a kernel builds a body struct holding its views
// and scalars and hands it to GridLoop.For, which calls body.Invoke(i) for each index the calling
// work-item owns. How many indices that is comes from the launch shape (LaunchPlan.GridStride);
// the kernel says only what happens at one index.
//
//   For(n, body):          i = global index, then every grid-size step below n (a grid-stride loop)
//   For(n, oneItem, body): where oneItem is 1 (LaunchPlan.OneItem, a compile-time constant) just
//                          the global index, compiled without a loop; else as For(n, body)
//   Share(n, begin, end):  thread t of T owns the contiguous range [t·n/T, (t+1)·n/T), for kernels
//                          whose neighbouring items share data (the blocked and packed matmuls;
//                          launched with LaunchPlan.BlockShare)
//
// Both are inlined into the kernel (AggressiveInlining): the one-item test and the body's call
// then fold away at compile time on every backend, and on the CPU accelerator the .NET JIT
// specialises the generic body per struct.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace Activations.Kernels;

/// <summary>What a 1-D kernel does at one index: a struct holding the kernel's views and scalars.</summary>
public interface IGridBody
{
    void Invoke(int i);
}

/// <summary>The grid-stride loop and its one-item form, for every 1-D kernel.</summary>
public static class GridLoop
{
    /// <summary>Calls <paramref name="body"/> for every index in [0, <paramref name="n"/>) this work-item owns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void For<TBody>(int n, TBody body) where TBody : struct, IGridBody
    {
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < n; i += stride)
            body.Invoke(i);
    }

    /// <summary>
    /// As <see cref="For{TBody}(int, TBody)"/>, but where <paramref name="oneItem"/> is 1 each work-item
    /// takes only its own global index (the launch covers n), compiled without the loop: PoCL vectorises
    /// across a group's work-items only when the kernel body has no loop of its own.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void For<TBody>(int n, SpecializedValue<int> oneItem, TBody body) where TBody : struct, IGridBody
    {
        if (oneItem.Value != 0)
        {
            int j = Grid.GlobalIndex.X;
            if (j < n) body.Invoke(j);
            return;
        }
        For(n, body);
    }

    /// <summary>The contiguous share [<paramref name="begin"/>, <paramref name="end"/>) of <paramref name="n"/> items this thread owns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Share(long n, out int begin, out int end)
    {
        long threads = (long)Grid.DimX * Group.DimX;
        long t = Grid.GlobalIndex.X;
        begin = (int)(n * t / threads);
        end = (int)(n * (t + 1) / threads);
    }
}
