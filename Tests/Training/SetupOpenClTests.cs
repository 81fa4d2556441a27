// scripts/setup-opencl.sh picks PoCL's CPU target from the CPU's feature flags, with LLVM 15's name
// for the host kept only where it has the vector width the flags offer; checked with stand-in flags.
using Activations.Tests.Docs;

namespace Activations.Tests.Training;

public class SetupOpenClTests
{
    const string Avx2 = "flags : fpu sse sse2 avx avx2 fma bmi2";
    const string Avx512 = Avx2 + " avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16";

    static string Target(string flags, string llvmHostCpu)
    {
        var root = DocumentationTests.Root();
        var env = new Dictionary<string, string> { ["POCL_CPU_FLAGS"] = flags, ["POCL_LLVM_HOST_CPU"] = llvmHostCpu, ["POCL_PREFIX"] = "" };
        var (code, output) = Infrastructure.ExternalProcess.Run("bash", root, env, Path.Combine(root, "scripts", "setup-opencl.sh"), "--print-target");
        Assert.True(code == 0, output);
        return output.Trim();
    }

    [Theory]
    [InlineData(Avx512, "znver3", "skylake-avx512 /opt/pocl-6.0-vec3-skylake-avx512")] // Zen 4 under LLVM 15: AVX-512 it would not use
    [InlineData(Avx512, "(unknown)", "skylake-avx512 /opt/pocl-6.0-vec3")]              // what the unknown-CPU rule built before
    [InlineData(Avx512, "icelake-server", "icelake-server /opt/pocl-6.0-vec3")]
    [InlineData(Avx2, "znver3", "znver3 /opt/pocl-6.0-vec3")]                           // Zen 3: LLVM's own name, the existing build
    [InlineData(Avx2, "(unknown)", "haswell /opt/pocl-6.0-vec3")]
    [InlineData(Avx2, "skylake-avx512", "haswell /opt/pocl-6.0-vec3-haswell")]          // AVX-512 hidden by a virtual machine
    [InlineData("flags : fpu sse sse2 avx", "sandybridge", "x86-64 /opt/pocl-6.0-vec3-x86-64")]
    public void TargetFollowsTheFeatureFlags(string flags, string llvmHostCpu, string expected) =>
        Assert.Equal(expected, Target(flags, llvmHostCpu));

    [Fact]
    public void AnUnknownArgumentIsAUsageError()
    {
        var root = DocumentationTests.Root();
        var (code, output) = Infrastructure.ExternalProcess.Run("bash", root, null, Path.Combine(root, "scripts", "setup-opencl.sh"), "--bogus");
        Assert.Equal(2, code);
        Assert.StartsWith("error: unknown argument '--bogus'", output.Trim());
    }
}
