// The command line: `activations [train] [options]` (train is the default), `activations devices`,
// `activations verify [--device X]`. Parsing is System.CommandLine; the values are then checked
// here. Exit codes: 0 done, 1 a runtime failure (data, device, checkpoint), 2 a usage error, 3 a
// numerical fault (NaN/Inf in training), 130/143 stopped by Ctrl-C/SIGTERM with a checkpoint. Every
// error is one line on stderr starting with "error:"; no stack trace ever reaches the user.
using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Text.RegularExpressions;
using Activations.Engine;
using Activations.Engine.Nn;
using Activations.Training.Checkpoints;
using Activations.Training.Data;
using Activations.Training.Models;
using Activations.Training.Run;
using Activations.Kernels.Activations;

namespace Activations.Training.Cli;

/// <summary>A bad command line: printed as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Where the app writes, and whether stdout is a terminal (live progress bar).</summary>
public sealed record Console2(TextWriter Out, TextWriter Error, bool Interactive);

public static partial class CommandLine
{
    public const int Ok = 0, Failure = 1, Usage = 2, NumericalFault = 3;

    public static readonly string[] Datasets = ["mnist", "cifar10"];
    public static readonly string[] Optimizers = ["sgd", "adam", "adamw"];
    public static readonly string[] Schedules = ["constant", "step", "cosine", "onecycle"];

    private static readonly Option<string> DatasetOpt = new("--dataset") { Description = "data set: mnist, cifar10", DefaultValueFactory = _ => "mnist" };
    private static readonly Option<string> ModelOpt = new("--model") { Description = "model: mlp (784-128-64-10), cnn, lenet, vgg (see Training/Models/ModelFactory.cs)", DefaultValueFactory = _ => "mlp" };
    private static readonly Option<string> ActivationOpt = new("--activation") { Description = ActivationCatalog.Help + Environment.NewLine + "or a file.cs of your own (docs/own-activation.md)", DefaultValueFactory = _ => "relu" };
    private static readonly Option<float?> AlphaOpt = new("--alpha") { Description = "the activation's first parameter (default: its own, see --activation)" };
    private static readonly Option<bool> LearnableOpt = new("--learnable-alpha") { Description = "learn the activation's parameters" };
    private static readonly Option<bool> PerChannelOpt = new("--alpha-per-channel") { Description = "one learnable α per feature instead of one per layer" };
    private static readonly Option<string> InitOpt = new("--init") { Description = "default (PyTorch), he, xavier, between, he-leaky", DefaultValueFactory = _ => "default" };
    private static readonly Option<int> EpochsOpt = new("--epochs") { Description = "epochs to train", DefaultValueFactory = _ => 5 };
    private static readonly Option<int> BatchOpt = new("--batch") { Description = "batch size", DefaultValueFactory = _ => 64 };
    private static readonly Option<float> LrOpt = new("--lr") { Description = "learning rate", DefaultValueFactory = _ => 0.01f };
    private static readonly Option<float> MomentumOpt = new("--momentum") { Description = "SGD momentum", DefaultValueFactory = _ => 0.9f };
    private static readonly Option<bool> NesterovOpt = new("--nesterov") { Description = "Nesterov momentum" };
    private static readonly Option<float?> WeightDecayOpt = new("--weight-decay") { Description = "L2 weight decay (decoupled for adamw; default 0, adamw 0.01)" };
    private static readonly Option<string> OptimizerOpt = new("--optimizer") { Description = "sgd, adam, adamw", DefaultValueFactory = _ => "sgd" };
    private static readonly Option<string> ScheduleOpt = new("--schedule") { Description = "constant, step, cosine, onecycle", DefaultValueFactory = _ => "constant" };
    private static readonly Option<ulong> SeedOpt = new("--seed") { Description = "seed of initialisation and shuffling", DefaultValueFactory = _ => 0UL };
    private static readonly Option<string> DeviceOpt = new("--device") { Description = "auto, cpu, opencl[:N], cuda[:N]", DefaultValueFactory = _ => "auto" };
    private static readonly Option<string?> DataOpt = new("--data") { Description = "data folder (default: $DATASETS_DIR, else datasets/ in the repository)" };
    private static readonly Option<string?> MirrorOpt = new("--mirror") { Description = "local mirror folder to copy missing data from (default: $DATASETS_MIRROR)" };
    private static readonly Option<string> OutOpt = new("--out") { Description = "folder for run folders", DefaultValueFactory = _ => "runs" };
    private static readonly Option<int> LimitTrainOpt = new("--limit-train") { Description = "use only the first N training images (0: all)", DefaultValueFactory = _ => 0 };
    private static readonly Option<bool> AugmentOpt = new("--augment") { Description = "CIFAR-10: seeded random crop (4-pixel padding) and horizontal flip each epoch" };
    private static readonly Option<int> LimitTestOpt = new("--limit-test") { Description = "use only the first N test images (0: all)", DefaultValueFactory = _ => 0 };
    private static readonly Option<int> CheckEveryOpt = new("--check-every") { Description = "steps between checks of loss, gradients and parameters for NaN/Inf", DefaultValueFactory = _ => 100 };
    private static readonly Option<float?> ClipOpt = new("--clip-grad-norm") { Description = "clip the global gradient norm to this before each step" };
    private static readonly Option<string?> ResumeOpt = new("--resume") { Description = "continue from a checkpoint.safetensors (to --epochs in total)" };
    private static readonly Option<string> BenchDeviceOpt = new("--device") { Description = "accelerators, comma-separated (cpu, opencl, cuda); absent ones are skipped", DefaultValueFactory = _ => "cpu,opencl,cuda" };
    private static readonly Option<int> BenchElementsOpt = new("--elements") { Description = "elements per activation case", DefaultValueFactory = _ => 16 << 20 };
    private static readonly Option<string> BenchMatMulOpt = new("--matmul") { Description = "square matmul sizes, comma-separated", DefaultValueFactory = _ => "512,1024" };
    private static readonly Option<string?> BenchOutOpt = new("--out") { Description = "folder for quick.md" };
    private static readonly Option<string> CheckActivationOpt = new("--activation") { Description = "the activation to check: a name or a file.cs of your own", Required = true };
    private static readonly Option<string> CheckDeviceOpt = new("--device") { Description = "accelerators, comma-separated (cpu, opencl, cuda); absent ones are skipped", DefaultValueFactory = _ => "cpu,opencl,cuda" };
    private static readonly Option<string?> CheckOutOpt = new("--out") { Description = "PNG of f and f′ next to ReLU (default check-<name>.png)" };
    private static readonly Option<int> CheckElementsOpt = new("--elements") { Description = "elements of the benchmark rows against ReLU and TaLU", DefaultValueFactory = _ => 1 << 20 };
    private static readonly Option<string?> BenchActivationsOpt = new("--activations") { Description = "activations, comma-separated (default: all; those with a hand-written backward also timed derived)" };
    private static readonly Option<string> VerifyDeviceOpt = new("--device") { Description = "accelerator to verify", DefaultValueFactory = _ => "auto" };

    private static readonly Option[] TrainOptions =
    [
        DatasetOpt, ModelOpt, ActivationOpt, AlphaOpt, LearnableOpt, PerChannelOpt, InitOpt, EpochsOpt, BatchOpt, LrOpt, MomentumOpt,
        NesterovOpt, WeightDecayOpt, OptimizerOpt, ScheduleOpt, SeedOpt, DeviceOpt, DataOpt, MirrorOpt, OutOpt, LimitTrainOpt, LimitTestOpt, AugmentOpt, ResumeOpt,
        CheckEveryOpt, ClipOpt,
    ];

    private static RootCommand Build()
    {
        var root = new RootCommand("Activations: train small networks on MNIST with a GPU tensor engine (ILGPU) to compare activation functions.");
        var train = new Command("train", "train a model (the default command)");
        foreach (var o in TrainOptions) train.Options.Add(o);
        var devices = new Command("devices", "list every accelerator and whether it can run the kernels");
        var verify = new Command("verify", "check every kernel family against its scalar reference on one accelerator");
        verify.Options.Add(VerifyDeviceOpt);
        root.Subcommands.Add(train);
        root.Subcommands.Add(devices);
        root.Subcommands.Add(verify);
        var bench = new Command("bench", "quick validated benchmarks (activations, matmul) on each accelerator named");
        bench.Options.Add(BenchDeviceOpt);
        bench.Options.Add(BenchElementsOpt);
        bench.Options.Add(BenchMatMulOpt);
        bench.Options.Add(BenchOutOpt);
        bench.Options.Add(BenchActivationsOpt);
        root.Subcommands.Add(bench);
        var check = new Command("check", "is an activation (built-in or your file.cs) sound? kernels, derivatives, extremes and shape on every accelerator, a plot and a benchmark row");
        foreach (var o in new Option[] { CheckActivationOpt, CheckDeviceOpt, CheckOutOpt, CheckElementsOpt }) check.Options.Add(o);
        root.Subcommands.Add(check);
        root.Subcommands.Add(CompareCommand.BuildCompare());
        root.Subcommands.Add(CompareCommand.BuildPlot());
        root.Subcommands.Add(PredictionsCommand.Build());
        return root;
    }

    /// <summary>Runs the app with <paramref name="args"/>; returns the exit code. Never throws.</summary>
    public static int Run(string[] args, Console2 console)
    {
        try
        {
            var root = Build();
            args = ActivationFile.Resolve(args);
            string[] argv = args.Length == 0 || !IsCommandOrHelp(args[0], root) ? ["train", .. args] : args;
            var parse = root.Parse(argv);
            if (parse.Errors.Count > 0)
                throw new UsageException(parse.Errors[0].Message.ReplaceLineEndings(" "));
            if (parse.Action is HelpAction || parse.CommandResult.Command == root)
            {
                var help = root.Parse(parse.CommandResult.Command == root ? ["--help"] : argv);
                return help.Invoke(new InvocationConfiguration { Output = console.Out, Error = console.Error });
            }
            return parse.CommandResult.Command.Name switch
            {
                "devices" => Devices(console),
                "verify" => Verify(parse.GetValue(VerifyDeviceOpt)!, console),
                "bench" => Bench(parse, console),
                "check" => Check(parse, console),
                "compare" => CompareCommand.RunCompare(parse, console),
                "plot" => CompareCommand.RunPlot(parse, console),
                "predictions" => PredictionsCommand.Run(parse, console),
                _ => TrainCommand.Run(ToConfig(parse), console, args),
            };
        }
        catch (UsageException e)
        {
            console.Error.WriteLine($"error: {e.Message} (see `activations --help`)");
            return Usage;
        }
        catch (NumericalFaultException e)
        {
            console.Error.WriteLine($"error: {OneLine(e.Message)}");
            return NumericalFault;
        }
        catch (Exception e) when (e is DeviceUnavailableException or DataFormatException or DatasetUnavailableException
                                   or CheckpointException or DeviceOutOfMemoryException)
        {
            console.Error.WriteLine($"error: {OneLine(e.Message)}");
            return Failure;
        }
        catch (Exception e)
        {
            console.Error.WriteLine($"error: {e.GetType().Name}: {OneLine(e.Message)}");
            return Failure;
        }
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");

    private static bool IsCommandOrHelp(string first, RootCommand root) =>
        first is "-h" or "--help" or "-?" or "/?" or "/h" or "--version" || root.Subcommands.Any(c => c.Name == first);

    /// <summary>The checked configuration of a `train` command line.</summary>
    public static TrainConfig ToConfig(ParseResult p)
    {
        string Lower(Option<string> o) => (p.GetValue(o) ?? "").Trim().ToLowerInvariant();
        var c = new TrainConfig
        {
            Dataset = Lower(DatasetOpt),
            Model = Lower(ModelOpt),
            Activation = Lower(ActivationOpt),
            Alpha = p.GetValue(AlphaOpt),
            LearnableAlpha = p.GetValue(LearnableOpt),
            AlphaPerChannel = p.GetValue(PerChannelOpt),
            Init = Lower(InitOpt),
            Epochs = p.GetValue(EpochsOpt),
            Batch = p.GetValue(BatchOpt),
            Lr = p.GetValue(LrOpt),
            Momentum = p.GetValue(MomentumOpt),
            Nesterov = p.GetValue(NesterovOpt),
            WeightDecay = p.GetValue(WeightDecayOpt),
            Optimizer = Lower(OptimizerOpt),
            Schedule = Lower(ScheduleOpt),
            Seed = p.GetValue(SeedOpt),
            Device = Lower(DeviceOpt),
            Data = p.GetValue(DataOpt),
            Mirror = p.GetValue(MirrorOpt),
            Out = p.GetValue(OutOpt) ?? "runs",
            LimitTrain = p.GetValue(LimitTrainOpt),
            LimitTest = p.GetValue(LimitTestOpt),
            Augment = p.GetValue(AugmentOpt),
            Resume = p.GetValue(ResumeOpt),
            CheckEvery = p.GetValue(CheckEveryOpt),
            ClipGradNorm = p.GetValue(ClipOpt),
        };
        return Validate(c);
    }

    /// <summary>Checks every value; throws a UsageException naming the option.</summary>
    public static TrainConfig Validate(TrainConfig c)
    {
        if (!Datasets.Contains(c.Dataset)) throw new UsageException($"--dataset: unknown data set '{c.Dataset}'; expected one of {string.Join(", ", Datasets)}");
        if (!ModelFactory.Names.Contains(c.Model)) throw new UsageException($"--model: unknown model '{c.Model}'; expected one of {string.Join(", ", ModelFactory.Names)}");
        if (!ActivationCatalog.TryParse(c.Activation, out var kind))
            throw new UsageException($"--activation: unknown activation '{c.Activation}'; expected one of {string.Join(", ", ActivationCatalog.All.Select(a => a.Name))}");
        c = c with { Activation = kind.Name };
        if (c.Alpha is { } a)
        {
            try { kind.Validate(a); }
            catch (ArgumentOutOfRangeException e) { throw new UsageException($"--alpha: {FirstLine(e.Message)}"); }
        }
        if (c.LearnableAlpha && !kind.HasLearnableParameter)
            throw new UsageException($"--learnable-alpha: {c.Activation} has no parameter (use {string.Join(", ", ActivationCatalog.All.Where(a => a.HasLearnableParameter).Select(a => a.Name))})");
        if (c.AlphaPerChannel && !c.LearnableAlpha) throw new UsageException("--alpha-per-channel needs --learnable-alpha");
        if (!Init.TryParse(c.Init, out var scheme)) throw new UsageException($"--init: unknown scheme '{c.Init}'; expected one of {string.Join(", ", Init.Names)}");
        c = c with { Init = Init.Name(scheme) };
        if (c.Epochs <= 0) throw new UsageException($"--epochs must be at least 1; got {c.Epochs}");
        if (c.Batch <= 0) throw new UsageException($"--batch must be at least 1; got {c.Batch}");
        if (!(c.Lr > 0) || !float.IsFinite(c.Lr)) throw new UsageException($"--lr must be a positive number; got {c.Lr.ToString(CultureInfo.InvariantCulture)}");
        if (!(c.Momentum >= 0 && c.Momentum < 1)) throw new UsageException($"--momentum must be in [0, 1); got {c.Momentum.ToString(CultureInfo.InvariantCulture)}");
        if (c.Nesterov && c.Momentum == 0) throw new UsageException("--nesterov needs --momentum > 0");
        if (c.WeightDecay is { } wd && (!(wd >= 0) || !float.IsFinite(wd))) throw new UsageException($"--weight-decay must be ≥ 0; got {wd.ToString(CultureInfo.InvariantCulture)}");
        if (!Optimizers.Contains(c.Optimizer)) throw new UsageException($"--optimizer: unknown optimizer '{c.Optimizer}'; expected one of {string.Join(", ", Optimizers)}");
        if (!Schedules.Contains(c.Schedule)) throw new UsageException($"--schedule: unknown schedule '{c.Schedule}'; expected one of {string.Join(", ", Schedules)}");
        if (!DeviceSpec().IsMatch(c.Device)) throw new UsageException($"--device: unknown device '{c.Device}'; expected auto, cpu, opencl[:N] or cuda[:N]");
        if (c.LimitTrain < 0 || c.LimitTest < 0) throw new UsageException("--limit-train and --limit-test must be ≥ 0");
        if (string.IsNullOrWhiteSpace(c.Out)) throw new UsageException("--out needs a folder");
        if (c.CheckEvery < 1) throw new UsageException($"--check-every must be at least 1; got {c.CheckEvery}");
        if (c.ClipGradNorm is { } clip && (!(clip > 0) || !float.IsFinite(clip)))
            throw new UsageException($"--clip-grad-norm must be a positive number; got {clip.ToString(CultureInfo.InvariantCulture)}");
        return c;
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Split(" (Parameter")[0].Trim();

    [GeneratedRegex("^(auto|cpu|cuda(:[0-9]+)?|opencl(:[0-9]+)?)$")]
    private static partial Regex DeviceSpec();

    private static int Devices(Console2 console)
    {
        var rows = Device.List();
        console.Out.WriteLine($"{"key",-10} {"usable",-7} {"name",-40} {"memory",-10} {"warp",5} {"group",6} {"MPs",4}  note");
        foreach (var d in rows)
        {
            string mem = d.Kind == Kernels.BackendKind.Cpu ? "host" : $"{d.MemoryBytes / (double)(1L << 30):F1} GiB";
            console.Out.WriteLine($"{d.Key,-10} {(d.Usable ? "yes" : "no"),-7} {Trim(d.Name, 40),-40} {mem,-10} {d.WarpSize,5} {d.MaxGroupSize,6} {d.Multiprocessors,4}  {d.Note}");
        }
        return Ok;
    }

    private static string Trim(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";

    private static int Verify(string spec, Console2 console)
    {
        if (!DeviceSpec().IsMatch(spec.Trim().ToLowerInvariant()))
            throw new UsageException($"--device: unknown device '{spec}'; expected auto, cpu, opencl[:N] or cuda[:N]");
        using var device = Device.Create(spec);
        return new Verify.KernelVerifier(device, console.Out).Run() == 0 ? Ok : Failure;
    }

    private static int Check(ParseResult parse, Console2 console)
    {
        string name = parse.GetValue(CheckActivationOpt)!;
        if (!ActivationCatalog.TryParse(name, out var activation))
            throw new UsageException($"--activation: unknown activation '{name}'; expected one of {ActivationCatalog.Names} or a file.cs");
        int elements = parse.GetValue(CheckElementsOpt);
        if (elements <= 0) throw new UsageException($"--elements must be positive; got {elements}");
        var keys = parse.GetValue(CheckDeviceOpt)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (keys.Length == 0 || keys.Any(k => !DeviceSpec().IsMatch(k.ToLowerInvariant()) || k == "auto"))
            throw new UsageException($"--device: expected accelerators separated by commas (cpu, opencl[:N], cuda[:N]); got '{parse.GetValue(CheckDeviceOpt)}'");
        string png = parse.GetValue(CheckOutOpt) ?? $"check-{activation.Name}.png";
        var checker = new Verify.ActivationChecker(activation, console.Out);
        var table = new List<string>(Training.Bench.QuickBench.Header);
        bool plotted = false, benchFailed = false;
        foreach (string key in keys)
        {
            Device device;
            try { device = Device.Create(key); }
            catch (DeviceUnavailableException e)
            {
                console.Out.WriteLine($"skip {key}: {OneLine(e.Message)}");
                continue;
            }
            using (device)
            {
                checker.Run(device);
                if (!plotted)
                {
                    Study.Plots.ActivationFunctions(device, [new Study.ActivationCurve(activation)], png);
                    console.Out.WriteLine($"wrote {png} (f and f′ from the {device.Key} kernels, ReLU in grey)");
                    plotted = true;
                }
                var bench = new[] { "relu", "talu" }.Where(n => n != activation.Name).Select(ActivationCatalog.Parse).Append(activation);
                var previous = Console.Out;
                Console.SetOut(TextWriter.Null);
                try { table.AddRange(Training.Bench.QuickBench.ActivationRows(device, bench, elements)); }
                catch (InvalidOperationException e) { console.Out.WriteLine($"  FAIL  benchmark validation: {OneLine(e.Message)}"); benchFailed = true; }
                finally { Console.SetOut(previous); }
            }
        }
        if (!plotted) throw new DeviceUnavailableException($"--device: none of {string.Join(", ", keys)} is present");
        console.Out.WriteLine(string.Join(Environment.NewLine, table));
        int failed = checker.Failed + (benchFailed ? 1 : 0);
        console.Out.WriteLine(failed == 0
            ? $"{activation.Name}: sound ({checker.Passed} checks passed)"
            : $"{activation.Name}: {failed} check(s) failed");
        return failed == 0 ? Ok : Failure;
    }

    private static int Bench(ParseResult parse, Console2 console)
    {
        int elements = parse.GetValue(BenchElementsOpt);
        if (elements <= 0) throw new UsageException($"--elements must be positive; got {elements}");
        string sizes = parse.GetValue(BenchMatMulOpt)!;
        if (sizes.Split(',').Any(x => !int.TryParse(x, out int v) || v <= 0))
            throw new UsageException($"--matmul: expected positive sizes separated by commas; got '{sizes}'");
        var args = new List<string> { "--device", parse.GetValue(BenchDeviceOpt)!, "--elements", elements.ToString(), "--matmul", sizes };
        if (parse.GetValue(BenchOutOpt) is { } outDir) args.AddRange(["--out", outDir]);
        if (parse.GetValue(BenchActivationsOpt) is { } acts)
        {
            foreach (var name in acts.Split(',', StringSplitOptions.RemoveEmptyEntries))
                if (!ActivationCatalog.TryParse(name, out _)) throw new UsageException($"--activations: unknown activation '{name}'; expected one of {ActivationCatalog.Names}");
            args.AddRange(["--activations", acts]);
        }
        var previous = Console.Out;
        Console.SetOut(console.Out);
        try { return Training.Bench.QuickBench.Run([.. args]); }
        finally { Console.SetOut(previous); }
    }
}
