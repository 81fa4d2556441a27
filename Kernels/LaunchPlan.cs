// Launch shapes per accelerator kind: one kernel source, a shape that suits each accelerator.
//
// The CPU accelerator is a simulator: every simulated GPU thread is an OS thread and a group
// barrier is an OS barrier (see ../shared/guide/ILGPU-NOTES.md). It wants few threads with much
// work each. PoCL (OpenCL on a CPU) compiles a work-group into vector loops and wants groups of
// a few hundred work-items; a GPU wants many groups of 256 threads. Every elementwise kernel in
// this project is explicitly grouped and walks its range with a grid-stride loop, so the launch
// shape below decides how the work is spread, never what is computed.
using ILGPU;
using ILGPU.Runtime;

namespace Activations.Kernels;

/// <summary>Which backend an accelerator belongs to.</summary>
public enum BackendKind { Cpu, OpenCL, Cuda }

/// <summary>The launch shapes for one accelerator, computed once from its properties.</summary>
public sealed class LaunchPlan
{
    /// <summary>Threads per group for 1-D grid-stride kernels.</summary>
    public int GroupSize { get; }

    /// <summary>Upper bound on groups for 1-D grid-stride kernels.</summary>
    public int MaxGroups { get; }

    /// <summary>Work items each thread should handle at least before another group is added.</summary>
    public int MinItemsPerThread { get; }

    public BackendKind Kind { get; }

    /// <summary>
    /// Passed to the 1-D elementwise kernels as a compile-time constant: 1 where every work-item
    /// handles exactly one element (OpenCL), so the kernel is compiled without its grid-stride loop.
    /// PoCL vectorises the loop it wraps around a work-group's work-items only when the kernel body
    /// has no loop of its own (TaLU forward+backward, 16M elements: 3–5× faster; README "Kernels").
    /// </summary>
    public SpecializedValue<int> OneItem { get; }

    public LaunchPlan(Accelerator accelerator)
    {
        Kind = KindOf(accelerator);
        switch (Kind)
        {
            case BackendKind.Cpu:
                // One group per simulated multiprocessor, each as wide as the device allows:
                // that is a handful of OS threads in all, each running a long loop.
                GroupSize = accelerator.MaxNumThreadsPerGroup;
                MaxGroups = accelerator.NumMultiprocessors;
                MinItemsPerThread = 4096;
                break;
            case BackendKind.OpenCL:
                // PoCL vectorises across the work-items of a group; a loop inside the kernel body
                // defeats that, so one item per work-item (the grid-stride loop runs once).
                GroupSize = Math.Min(256, accelerator.MaxNumThreadsPerGroup);
                MaxGroups = int.MaxValue;
                MinItemsPerThread = 1;
                OneItem = SpecializedValue.New(1); // the grid always covers n (MaxGroups unbounded)
                break;
            default:
                GroupSize = Math.Min(256, accelerator.MaxNumThreadsPerGroup);
                MaxGroups = Math.Max(1, accelerator.NumMultiprocessors) * 32;
                MinItemsPerThread = 4;
                break;
        }
    }

    public static BackendKind KindOf(Accelerator accelerator) => accelerator.AcceleratorType switch
    {
        AcceleratorType.Cuda => BackendKind.Cuda,
        AcceleratorType.OpenCL => BackendKind.OpenCL,
        _ => BackendKind.Cpu,
    };

    /// <summary>A 1-D grid for a grid-stride loop over <paramref name="n"/> items.</summary>
    public KernelConfig GridStride(long n)
    {
        long perGroup = (long)GroupSize * MinItemsPerThread;
        long groups = Math.Clamp((n + perGroup - 1) / perGroup, 1, MaxGroups);
        return new KernelConfig((int)groups, GroupSize);
    }
}
