// Every kernel compiles for CUDA, with or without a GPU. The CUDA tests run only where a device
// exists, and these machines have none; ILGPU's PTX backend needs no device, so this compiles every
// kernel of every family (each generic family once per activation or operator) to PTX for SM_90,
// the H200 the project's GPU runs use, with the context options Device uses. It catches what only
// the CUDA backend rejects (an unsupported intrinsic, a construct its code generator refuses) before
// a GPU session is spent on it. It cannot run the PTX: the CUDA tests and `verify` do that.
using System.Reflection;
using Activations.Kernels;
using Activations.Kernels.Activations;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Activations.Tests;

public class CudaCompileTests
{
    private static readonly Assembly KernelAssembly = typeof(IKernelFamily<>).Assembly;

    /// <summary>The concrete kernel families: each generic one closed over every struct that meets its constraint.</summary>
    private static IEnumerable<Type> Families()
    {
        var structs = KernelAssembly.GetTypes().Where(t => t.IsValueType && !t.IsGenericTypeDefinition).ToArray();
        foreach (var family in KernelAssembly.GetTypes().Where(IsFamily))
        {
            if (!family.IsGenericTypeDefinition)
            {
                yield return family;
                continue;
            }
            var parameter = family.GetGenericArguments().Single();
            var constraints = parameter.GetGenericParameterConstraints().Where(c => c.IsInterface).ToArray();
            foreach (var s in structs.Where(s => constraints.All(c => c.IsAssignableFrom(s))))
                yield return family.MakeGenericType(s);
        }
    }

    private static bool IsFamily(Type t) => t.IsClass && t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IKernelFamily<>));

    /// <summary>
    /// A family's kernels: its static void methods named *Kernel that take a view; a generic one closed
    /// over every struct that meets its constraints, but for those named *OnOpenCL (the packed matmul's
    /// fma, which only OpenCL implements and only OpenCL plans choose: LaunchPlan.FusedMultiplyAdd).
    /// </summary>
    private static IEnumerable<MethodInfo> KernelsOf(Type family) =>
        family.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
            .Where(m => m.Name.EndsWith("Kernel", StringComparison.Ordinal) && m.ReturnType == typeof(void)
                && m.GetParameters().Any(p => p.ParameterType.IsGenericType && p.ParameterType.GetGenericTypeDefinition() == typeof(ArrayView<>)))
            .SelectMany(m => m.IsGenericMethodDefinition ? Closed(m) : [m]);

    private static IEnumerable<MethodInfo> Closed(MethodInfo m)
    {
        var constraints = m.GetGenericArguments().Single().GetGenericParameterConstraints().Where(c => c.IsInterface).ToArray();
        return KernelAssembly.GetTypes()
            .Where(s => s.IsValueType && !s.IsGenericTypeDefinition && !s.Name.EndsWith("OnOpenCL", StringComparison.Ordinal)
                && constraints.All(c => c.IsAssignableFrom(s)))
            .Select(s => m.MakeGenericMethod(s));
    }

    private static string Name(Type t) => t.IsGenericType ? $"{t.Name[..t.Name.IndexOf('`')]}<{string.Join(",", t.GetGenericArguments().Select(Name))}>" : t.Name;

    public static IEnumerable<object[]> FamilyNames() => Families().Select(f => new object[] { Name(f) });

    [Fact]
    public void EveryFamilyAndActivationIsEnumerated()
    {
        var names = Families().Select(Name).ToArray();
        // Every built-in activation, the matmul, conv, pool, loss and optimizer families at least.
        Assert.Equal(ActivationCatalog.BuiltIn.Count, names.Count(n => n.StartsWith("ActivationKernels<", StringComparison.Ordinal)));
        foreach (var must in new[] { "MatMulKernels", "ConvKernels", "PoolKernels", "SoftmaxCrossEntropyKernels", "OptimizerKernels", "ReductionKernels" })
            Assert.Contains(must, names);
        Assert.All(Families(), f => Assert.NotEmpty(KernelsOf(f)));
    }

    [Theory]
    [MemberData(nameof(FamilyNames))]
    public void EveryKernelCompilesToPtxForHopper(string familyName)
    {
        var family = Families().Single(f => Name(f) == familyName);
        using var context = Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, nvvmAPI: null!); // no NVVM: no LibDevice, as in Device
        var failures = new List<string>();
        foreach (var kernel in KernelsOf(family))
        {
            try
            {
                var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel), KernelSpecialization.Empty);
                // ILGPU 1.5.3 writes `.target sm_80` for SM_90 (the driver JIT-compiles it forward).
                if (!compiled.PTXAssembly.Contains(".visible .entry", StringComparison.Ordinal) || !compiled.PTXAssembly.Contains(".target sm_", StringComparison.Ordinal))
                    failures.Add($"{kernel.Name}: no entry point or target in the PTX");
            }
            catch (Exception e)
            {
                failures.Add($"{kernel.Name}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
            }
        }
        Assert.True(failures.Count == 0, $"{familyName}: " + string.Join("; ", failures));
    }
}
