using Activations.Tests.Infrastructure;
using Activations.Training.Cli;

namespace Activations.Tests.Training;

public class BenchCommandTests
{
    private static (int Code, string Out, string Err) Cli(params string[] args) => AppCli.Run(args);

    [Fact]
    public void BenchValidatesThenTimesEveryCaseOnTheCpuAccelerator()
    {
        var (code, output, err) = Cli("bench", "--device", "cpu", "--elements", "4097", "--matmul", "33");
        Assert.True(code == 0, err);
        Assert.Contains("| cpu | talu forward+backward | 4097 |", output);
        Assert.Contains("| cpu | matmul Aᵀ·B", output);
        Assert.Contains("GFLOP/s", output);
    }

    [Theory]
    [InlineData("--matmul", "0")]
    [InlineData("--matmul", "12,x")]
    [InlineData("--elements", "-5")]
    public void BadSizesAreUsageErrors(string option, string value) =>
        AppCli.FailsWithOneErrorLine(CommandLine.Usage, ["bench", "--device", "cpu", option, value]);
}
