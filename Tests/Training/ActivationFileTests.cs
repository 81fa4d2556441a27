// A user's activation file (--activation ./mine.cs): compiled at run time, usable by train, compare,
// plot and check; broken files give one file:line error and exit 2; a wrong hand-written backward
// fails `check` naming the activation, x and both values. Each test registers its own name, since
// the catalog is shared by the whole test process.
using Activations.Kernels.Activations;
using Activations.Tests.Infrastructure;
using Activations.Training.Cli;

namespace Activations.Tests.Training;

public class ActivationFileTests
{
    private static (int Code, string Out, string Err) Cli(params string[] args) => AppCli.Run(args);

    /// <summary>SoftsignLU under another name: x for x ≥ 0, α·x/(1 − x) for x &lt; 0, derived backward.</summary>
    private static string Softsign(string name) => $$"""
        public readonly struct {{name}} : IActivation
        {
            public static string Name => "{{name}}";
            public static string Formula => "x for x ≥ 0, α·x/(1 − x) for x < 0";
            public static IReadOnlyList<ActivationParameter> Parameters { get; } = [ActivationParameter.PositiveAlpha()];
            public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T> =>
                T.IfNegative(x, p.P0 * x / (1f - T.IfNegative(x, x, 0f)), x);
        }
        """;

    [SkippableFact]
    public void UserFileFromATemporaryFolderWorksWithTrainComparePlotAndCheck()
    {
        string mirror = TestData.RequireMnistMirror();
        using var dir = new TempDir();
        string file = dir.File("mine.cs");
        File.WriteAllText(file, Softsign("userfilelu"));

        var r = Cli("check", "--activation", file, "--device", "cpu", "--elements", "4096", "--out", dir.File("check.png"));
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Contains("userfilelu: sound", r.Out);
        Assert.Contains("| cpu | userfilelu forward+backward |", r.Out);
        Assert.True(new FileInfo(dir.File("check.png")).Length > 0);

        r = Cli("plot", "--activations", $"relu,talu,{file}", "--alphas", "0.5,1", "--device", "cpu", "--out", dir.File("plot.png"));
        Assert.True(r.Code == 0, r.Err);
        Assert.True(new FileInfo(dir.File("plot.png")).Length > 0);

        r = Cli("train", "--activation", file, "--alpha", "0.5", "--learnable-alpha", "--epochs", "1", "--limit-train", "256", "--limit-test", "128",
            "--device", "cpu", "--data", mirror, "--out", dir.File("runs"));
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("userfilelu", Assert.Single(Directory.GetDirectories(dir.File("runs"))));

        r = Cli("compare", "--activations", $"relu,{file}:0.5", "--seeds", "0-1", "--epochs", "1", "--limit-train", "256", "--limit-test", "128",
            "--device", "cpu", "--data", mirror, "--out", dir.File("grid"));
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("userfilelu", File.ReadAllText(Path.Combine(dir.File("grid"), "report.md")));
    }

    [Fact]
    public void SyntaxErrorNamesFileAndLineAndExits2()
    {
        using var dir = new TempDir();
        string file = dir.File("broken.cs");
        File.WriteAllText(file, Softsign("brokenlu").Replace("\"brokenlu\";", "\"brokenlu\""));
        var r = Cli("train", "--activation", file, "--device", "cpu");
        Assert.Equal(2, r.Code);
        Assert.StartsWith($"error: {file}:3:", r.Err);
        Assert.Contains("; expected", r.Err);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("public static class Nothing { }", "no struct implements IActivation")]
    [InlineData("public readonly struct M : IActivation { public static string Name => \"m\"; public static string Formula => \"x\"; }", "does not implement IActivation.Forward<T>")]
    [InlineData("REPLACE", "'relu' is the name of a built-in activation")]
    public void ContractBreachSaysWhatIsMissing(string source, string expected)
    {
        using var dir = new TempDir();
        string file = dir.File("contract.cs");
        File.WriteAllText(file, source == "REPLACE" ? Softsign("Clash").Replace("\"Clash\";", "\"relu\";") : source);
        var r = Cli("check", "--activation", file, "--device", "cpu");
        Assert.Equal(2, r.Code);
        Assert.StartsWith($"error: {file}", r.Err);
        Assert.Contains(expected, r.Err);
    }

    [Fact]
    public void TwoStructsInOneFileAreRefused()
    {
        using var dir = new TempDir();
        string file = dir.File("two.cs");
        File.WriteAllText(file, Softsign("twoa") + Softsign("twob"));
        var r = Cli("check", "--activation", file, "--device", "cpu");
        Assert.Equal(2, r.Code);
        Assert.Contains("2 structs implement IActivation (twoa, twob)", r.Err);
    }

    [Fact]
    public void WrongHandWrittenBackwardFailsCheckNamingActivationXAndBothValues()
    {
        using var dir = new TempDir();
        string file = dir.File("wrong.cs");
        // The built-in TaLU with the derivative of tanh forgotten on x < 0 (α instead of α(1 − tanh²x)).
        File.WriteAllText(file, """
            public readonly struct WrongTaLU : IActivation
            {
                public static string Name => "wrongtalu";
                public static string Formula => "TaLU with a wrong backward";
                public static IReadOnlyList<ActivationParameter> Parameters => TaLU.Parameters;
                public static T Forward<T>(T x, ActivationParameters<T> p) where T : struct, IReal<T> => TaLU.Forward(x, p);
                public static bool HasBackward => true;
                public static float Backward(float x, float y, ActivationParameters<float> p) => x < 0 ? p.P0 : 1f;
                public static float ParamGrad(int k, float x, float y, ActivationParameters<float> p) => TaLU.ParamGrad(k, x, y, p);
            }
            """);
        var r = Cli("check", "--activation", file, "--device", "cpu", "--elements", "4096", "--out", dir.File("c.png"));
        Assert.Equal(1, r.Code);
        // The first point checked is x = −6: derivative 1 − tanh²(−6) ≈ 2.5e-5, the wrong backward says 1.
        Assert.Contains("FAIL  dy/dx (hand-written) against the exact derivative: wrongtalu: dy/dx at x = -6: kernel 1, dual numbers 2.4", r.Out);
        Assert.Contains("FAIL  dy/dx (hand-written) against finite differences: wrongtalu: dy/dx at x = -6: kernel 1, finite differences 2.4", r.Out);
        Assert.Contains("ok    dy/dx (derived) against finite differences", r.Out);
        Assert.Contains("FAIL  benchmark validation: wrongtalu on cpu", r.Out);
        Assert.Contains("wrongtalu: 3 check(s) failed", r.Out);
        Assert.True(ActivationCatalog.TryParse("wrongtalu", out var registered) && registered.HasBackward);
    }

    [Fact]
    public void SameFileTwiceInOneProcessIsLoadedOnce()
    {
        using var dir = new TempDir();
        string file = dir.File("twice.cs");
        File.WriteAllText(file, Softsign("twicelu"));
        Assert.Same(ActivationFile.Load(file), ActivationFile.Load(file));
        Assert.Equal(["--activations", "relu,twicelu:0.5"], ActivationFile.Resolve(["--activations", $"relu,{file}:0.5"]));
    }
}
