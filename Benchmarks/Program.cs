// Benchmarks entry point.
//   dotnet run -c Release --project Benchmarks -- quick [--device cpu,opencl] [--elements N] [--matmul 512,1024] [--out DIR]
//       short validated runs, a table of throughput per accelerator (CI smoke test, tuning)
//   dotnet run -c Release --project Benchmarks -- [BenchmarkDotNet arguments, e.g. --filter '*']
//       the full BenchmarkDotNet suites (Suites/): '*Activation*', '*MatMul*', '*Conv*', '*Loss*',
//       '*Optimizer*', '*TrainingStep*'; ACTIVATIONS_BENCH_QUICK=1 for short runs at smaller sizes,
//       ACTIVATIONS_BENCH_DEVICES=cpu,opencl,cuda to choose accelerators,
//       ACTIVATIONS_BENCH_ACTIVATIONS=talu,exlu to choose activations (default: the whole catalog)
using BenchmarkDotNet.Running;

namespace Activations.Benchmarks;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "quick") return Training.Bench.QuickBench.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
