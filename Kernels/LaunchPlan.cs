// Per-backend decisions in one place: launch shapes, which matmul kernel runs and how its blocks
// are dealt out, whether the activations take 8 floats per access. One kernel source serves every
// accelerator; what differs is decided here (the one exception, made inside device code, is how a
// select on a sign compiles: Kernels/BitSelect.cs).
//
// The CPU accelerator is a simulator: every simulated GPU thread is an OS thread and a group
// barrier is an OS barrier. It wants few threads with much work each. PoCL (OpenCL on a CPU)
// compiles a work-group into vector loops and wants groups of a few hundred work-items; a GPU
// wants many groups of 256 threads. Every 1-D kernel is explicitly grouped and runs GridLoop, so
// the launch shape below decides how the work is spread, never what is computed.
// The measurements behind these choices are in docs/performance.md.
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.OpenCL;
using Activations.Kernels.MatMul;

namespace Activations.Kernels;

/// <summary>Which backend an accelerator belongs to.</summary>
public enum BackendKind { Cpu, OpenCL, Cuda }

/// <summary>The launch shapes and backend choices for one accelerator, computed once from its properties.</summary>
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
    /// Passed to the 1-D kernels as a compile-time constant (see <see cref="GridLoop"/>): 1 where every
    /// work-item handles exactly one element (OpenCL), so the kernel is compiled without its grid-stride
    /// loop; PoCL vectorises across a group's work-items only when the kernel body has no loop of its own.
    /// </summary>
    public SpecializedValue<int> OneItem { get; }

    /// <summary>
    /// <see cref="OneItem"/>'s value (2, on OpenCL) for a launch whose groups cover exactly its n items
    /// (<see cref="ExactPart"/>): compiled without the bounds test too. Under that test PoCL masks every
    /// read, and a read the same for all work-items (a layer's α) became a gather per 8 elements.
    /// </summary>
    public SpecializedValue<int> OneItemExact { get; }

    /// <summary>How many leading items of <paramref name="n"/> a launch with <see cref="OneItemExact"/> takes: whole groups on OpenCL, else 0.</summary>
    public int ExactPart(int n) => Kind == BackendKind.OpenCL ? n / GroupSize * GroupSize : 0;

    /// <summary>The matmul kernel this accelerator runs by default.</summary>
    public MatMulAlgorithm MatMulAlgorithm { get; }

    /// <summary>Threads per group for the packed matmul (each work-item loops over whole 8×8 blocks of C).</summary>
    public int PackedGroupSize { get; }

    /// <summary>
    /// Panels of B (8 columns each) per unit of the packed matmul: 2 on OpenCL CPUs compiled for
    /// AVX-512, whose 32 vector registers hold a 16×16 unit's 16 rows of 16 accumulators (two strips of
    /// A by two panels); 3 on other OpenCL CPUs (AVX2's 16 registers: 4×24 units, 12 accumulators of
    /// 8; an 8×16 unit spilled); 1 elsewhere: the CPU accelerator's JIT runs wider units slower
    /// (docs/performance.md).
    /// </summary>
    public int PackedPanels { get; }

    /// <summary>
    /// Whether products run 16-lane rows (float16 through Fused.MultiplyAdd8x16): where the packed
    /// matmul runs two panels per unit, also the direct convolution's forward, ∂x and ∂w (16 channels a row).
    /// </summary>
    public bool WideRows => PackedPanels == 2;

    /// <summary>
    /// Whether the packed matmul's product loop uses OpenCL's fma (<see cref="Fused"/>): on OpenCL CPUs,
    /// where it is the default kernel. An AVX2 build of PoCL ran the 8×8 product 20% faster fused;
    /// elsewhere ILGPU has no fma to emit, and an OpenCL GPU's compiler need not see the float16 code.
    /// </summary>
    public bool FusedMultiplyAdd => Kind == BackendKind.OpenCL && MatMulAlgorithm == MatMulAlgorithm.Packed;

    /// <summary>
    /// Up to how many columns of C the packed matmul reads an A whose rows run along K in place
    /// (<see cref="MatMul.RowsAlongK"/>) instead of packing it: on OpenCL, where the pack of A costs
    /// about as much as the product when C is that narrow, but 8 row streams run the product itself
    /// slower than one packed strip when it is wider; 0 (never) on the CPU accelerator, which pays per
    /// view access.
    /// </summary>
    public int PackedInPlaceColumns => Kind == BackendKind.OpenCL ? 128 : 0;

    /// <summary>
    /// A grid for the packed matmul's <paramref name="units"/> (<see cref="BlockShare"/> with <see cref="PackedGroupSize"/>),
    /// on OpenCL with smaller groups where that leaves fewer groups than compute units: PoCL runs a
    /// group on one core, so a small product in one group would leave the other cores idle.
    /// </summary>
    public KernelConfig PackedShare(long units)
    {
        long size = Kind == BackendKind.OpenCL ? Math.Clamp((units + _units - 1) / _units, 1, PackedGroupSize) : PackedGroupSize;
        return BlockShare(units, (int)size);
    }

    private readonly int _units;

    /// <summary>Threads per group for the blocked matmul (each work-item loops over whole 4×4 blocks of C).</summary>
    public int BlockedGroupSize { get; }

    /// <summary>
    /// Whether pooling and column sums run in the layouts PoCL vectorises across work-items (2×2 max pooling
    /// one window per work-item, neighbouring work-items on neighbouring memory; column sums with a
    /// loop shared by the whole group): everywhere but the CPU accelerator, where a simulated thread wants
    /// long loops of its own and a select is a jump.
    /// </summary>
    public bool AcrossWorkItems => Kind != BackendKind.Cpu;

    /// <summary>
    /// Whether convolutions that <see cref="Conv.ConvDirectKernels.Takes"/> read x directly instead of
    /// through im2col and the packed matmul: on OpenCL CPUs (PoCL), where their blocks are the packed
    /// matmul's vector updates (Fused). The CPU accelerator keeps the packed path, which it runs with
    /// 8-float view accesses.
    /// </summary>
    public bool DirectConv => Kind == BackendKind.OpenCL && MatMulAlgorithm == MatMulAlgorithm.Packed;

    /// <param name="accelerator">The accelerator the plan is for.</param>
    /// <param name="packedPanels">Overrides <see cref="PackedPanels"/> (tests of every packed unit on one device).</param>
    public LaunchPlan(Accelerator accelerator, int? packedPanels = null)
    {
        Kind = KindOf(accelerator);
        _units = Math.Max(1, accelerator.NumMultiprocessors);
        int maxGroup = accelerator.MaxNumThreadsPerGroup;
        switch (Kind)
        {
            case BackendKind.Cpu:
                // One group per simulated multiprocessor, each as wide as the device allows:
                // that is a handful of OS threads in all, each running a long loop.
                GroupSize = maxGroup;
                MaxGroups = accelerator.NumMultiprocessors;
                MinItemsPerThread = 4096;
                break;
            case BackendKind.OpenCL:
                // PoCL vectorises across the work-items of a group; a loop inside the kernel body
                // defeats that, so one item per work-item (the grid-stride loop runs once).
                GroupSize = Math.Min(256, maxGroup);
                MaxGroups = int.MaxValue;
                MinItemsPerThread = 1;
                OneItem = SpecializedValue.New(1); // the grid always covers n (MaxGroups unbounded)
                OneItemExact = SpecializedValue.New(2);
                break;
            default:
                GroupSize = Math.Min(256, maxGroup);
                MaxGroups = Math.Max(1, accelerator.NumMultiprocessors) * 32;
                MinItemsPerThread = 4;
                break;
        }
        // The packed matmul on CPUs (on PoCL its block updates are OpenCL vector fmas, Fused; the
        // simulator pays per view access, which it makes few); the tiled one where groups of 256
        // threads with shared memory exist; the blocked one on other GPUs.
        bool cpuDevice = Kind == BackendKind.Cpu
            || (accelerator is CLAccelerator cl && cl.DeviceType.HasFlag(CLDeviceType.CL_DEVICE_TYPE_CPU));
        MatMulAlgorithm = cpuDevice ? MatMulAlgorithm.Packed
            : maxGroup < MatMulKernels.TiledGroupThreads ? MatMulAlgorithm.Blocked
            : MatMulAlgorithm.Tiled;
        PackedPanels = packedPanels ?? (!FusedMultiplyAdd ? 1 : CompilesForAvx512(accelerator.Name) ? 2 : 3);
        // On PoCL a packed work-item loops over its own blocks, so the group size only sets how
        // finely blocks are dealt to the cores: 64 was the fastest measured.
        PackedGroupSize = Kind == BackendKind.OpenCL ? 64 : Math.Min(GroupSize, 256);
        BlockedGroupSize = Math.Min(GroupSize, 256);
    }

    // LLVM's names for x86 CPUs with AVX-512 (skylake-avx512 and every later one that has it): the
    // names scripts/setup-opencl.sh builds PoCL for (its AVX512_NAMES, LLVM 15's) and later LLVMs' ones.
    private static readonly string[] Avx512Targets =
    [
        "avx512", "cascadelake", "cooperlake", "cannonlake", "icelake", "tigerlake", "rocketlake",
        "sapphirerapids", "emeraldrapids", "graniterapids", "znver4", "znver5", "x86-64-v4", "knl", "knm",
    ];

    /// <summary>
    /// Whether an OpenCL CPU device compiles kernels for AVX-512: PoCL names its device after the LLVM
    /// CPU it compiles for ("cpu-skylake-avx512-…", "cpu-haswell-…"), which is what decides the
    /// registers a kernel gets, whatever the host has. Any other name counts as no.
    /// </summary>
    public static bool CompilesForAvx512(string deviceName) =>
        deviceName.StartsWith("cpu-", StringComparison.Ordinal)
        && Avx512Targets.Any(t => deviceName.Contains(t, StringComparison.OrdinalIgnoreCase));

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

    /// <summary>
    /// A grid for kernels in which each thread takes a contiguous share of <paramref name="blocks"/>
    /// (the blocked and packed matmuls): enough groups of <paramref name="groupSize"/> for one block
    /// per thread, at most <see cref="MaxGroups"/> on the CPU accelerator.
    /// </summary>
    public KernelConfig BlockShare(long blocks, int groupSize)
    {
        long groups = Math.Clamp((blocks + groupSize - 1) / groupSize, 1, Kind == BackendKind.Cpu ? MaxGroups : int.MaxValue);
        return new KernelConfig((int)groups, groupSize);
    }

    /// <summary>
    /// How many leading elements of <paramref name="n"/> the activations' wide kernels (8 floats per
    /// view access) take: a multiple of 8 on the CPU accelerator with one α per layer, else 0. The
    /// simulator pays for every view access (see <see cref="Vec8f"/>); the other backends do not.
    /// </summary>
    public int WidePart(int n, bool perLayer) => Kind == BackendKind.Cpu && perLayer ? n / 8 * 8 : 0;
}
