// The command line: `activations [train] [options]` (train is the default), `activations devices`,
// `activations verify [--device X]`. Parsing is System.CommandLine; the values are then checked
// here. Exit codes: 0 done, 1 a runtime failure (data, device, checkpoint), 2 a usage error, 3 a
// numerical fault (NaN/Inf in training), 130/143 stopped by Ctrl-C/SIGTERM with a checkpoint. Every
// error is one line on stderr starting with "error:"; no stack trace ever reaches the user.
using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
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
public sealed record Console2(TextWriter Out, TextWriter Error, bool Interactive)
{
    /// <summary>The same console with writers that drop output they cannot deliver (a full disk, a closed pipe).</summary>
    public Console2 Guarded() => this with { Out = GuardedWriter.Wrap(Out), Error = GuardedWriter.Wrap(Error) };
}

/// <summary>
/// A writer that ignores I/O errors of the stream below: a message that cannot be shown
/// (stderr on /dev/full, a closed pipe) must not change the exit code or abort the process.
/// </summary>
public sealed class GuardedWriter(TextWriter inner) : TextWriter
{
    public static TextWriter Wrap(TextWriter w) => w as GuardedWriter ?? new GuardedWriter(w);

    public override System.Text.Encoding Encoding => inner.Encoding;
    public override IFormatProvider FormatProvider => inner.FormatProvider;
    public override void Write(char value) => Try(() => inner.Write(value));
    public override void Write(string? value) => Try(() => inner.Write(value));
    public override void Write(char[] buffer, int index, int count) => Try(() => inner.Write(buffer, index, count));
    public override void WriteLine(string? value) => Try(() => inner.WriteLine(value));
    public override void Flush() => Try(inner.Flush);

    private static void Try(Action write)
    {
        try { write(); }
        catch (IOException) { /* nowhere to report it */ }
        catch (ObjectDisposedException) { /* the stream was closed under us */ }
    }
}

public static partial class CommandLine
{
    public const int Ok = 0, Failure = 1, Usage = 2, NumericalFault = 3;

    /// <summary>Upper bounds of --epochs and --batch: far above any real run, low enough that step counts cannot overflow.</summary>
    public const int MaxEpochs = 100_000, MaxBatch = 1 << 16;

    public static readonly string[] Optimizers = ["sgd", "adam", "adamw"];
    public static readonly string[] Schedules = ["constant", "step", "cosine", "onecycle"];

    internal static readonly Option<string> DatasetOpt = new("--dataset") { Description = DatasetSource.Help, DefaultValueFactory = _ => "mnist" };
    private static readonly Option<int?> ImageSizeOpt = new("--image-size") { Description = $"folder: data sets: bring every image to N×N (resize the shorter side, centre-crop); default: their own size when all images share one, else {ImageFolderDataset.DefaultSide}" };
    /// <summary>The help of every --model option: the models and what they are.</summary>
    public const string ModelHelp = "model: mlp (MLP 784-128-64-10), cnn (2 conv + 2 linear, MNIST), lenet (LeNet-5, CIFAR-10), lenet-bn (LeNet-5 with BatchNorm after each conv), vgg (4 conv with BatchNorm + global average pool, CIFAR-10)";
    public static readonly string ActivationHelp = ActivationCatalog.Help + Environment.NewLine + "or a file.cs of your own (docs/own-activation.md)";
    public const string DeviceHelp = "auto, cpu, opencl[:N], cuda[:N]";
    public const string DataHelp = "data folder (default: $DATASETS_DIR, else datasets/ in the repository, else the per-user data folder)";
    public const string MirrorHelp = "local mirror folder to copy missing data from (default: $DATASETS_MIRROR)";
    internal static readonly Option<string> ModelOpt = new("--model") { Description = ModelHelp, DefaultValueFactory = _ => "mlp" };
    internal static readonly Option<string> ActivationOpt = new("--activation") { Description = ActivationHelp, DefaultValueFactory = _ => "relu" };
    private static readonly Option<float?> AlphaOpt = new("--alpha") { Description = "the activation's first parameter (default: its own, see --activation)", CustomParser = OptionValues.ParseOptionalFloat };
    private static readonly Option<bool> LearnableOpt = new("--learnable-alpha") { Description = "learn the activation's parameters" };
    private static readonly Option<bool> PerChannelOpt = new("--alpha-per-channel") { Description = "one learnable α per feature instead of one per layer" };
    private static readonly Option<string> InitOpt = new("--init") { Description = "default (PyTorch), he, xavier, between, he-leaky", DefaultValueFactory = _ => "default" };
    internal static readonly Option<int> EpochsOpt = new("--epochs") { Description = "epochs to train", DefaultValueFactory = _ => 5 };
    internal static readonly Option<int> BatchOpt = new("--batch") { Description = "batch size", DefaultValueFactory = _ => 64 };
    internal static readonly Option<float> LrOpt = new("--lr") { Description = "learning rate", DefaultValueFactory = _ => 0.01f, CustomParser = OptionValues.ParseFloat };
    internal static readonly Option<float> MomentumOpt = new("--momentum") { Description = "SGD momentum", DefaultValueFactory = _ => 0.9f, CustomParser = OptionValues.ParseFloat };
    internal static readonly Option<bool> NesterovOpt = new("--nesterov") { Description = "Nesterov momentum" };
    internal static readonly Option<float?> WeightDecayOpt = new("--weight-decay") { Description = "L2 weight decay (decoupled for adamw; default 0, adamw 0.01)", CustomParser = OptionValues.ParseOptionalFloat };
    internal static readonly Option<string> OptimizerOpt = new("--optimizer") { Description = "sgd, adam, adamw", DefaultValueFactory = _ => "sgd" };
    internal static readonly Option<string> ScheduleOpt = new("--schedule") { Description = "constant, step, cosine, onecycle", DefaultValueFactory = _ => "constant" };
    private static readonly Option<ulong> SeedOpt = new("--seed") { Description = "seed of initialisation and shuffling", DefaultValueFactory = _ => 0UL };
    internal static readonly Option<string> DeviceOpt = new("--device") { Description = DeviceHelp, DefaultValueFactory = _ => "auto" };
    internal static readonly Option<string?> DataOpt = new("--data") { Description = DataHelp };
    internal static readonly Option<string?> MirrorOpt = new("--mirror") { Description = MirrorHelp };
    private static readonly Option<string> OutOpt = new("--out") { Description = "folder for run folders", DefaultValueFactory = _ => "runs" };
    internal static readonly Option<int> LimitTrainOpt = new("--limit-train") { Description = "use only the first N training images (0: all)", DefaultValueFactory = _ => 0 };
    internal static readonly Option<bool> AugmentOpt = new("--augment") { Description = "CIFAR-10: seeded random crop (4-pixel padding) and horizontal flip each epoch" };
    internal static readonly Option<int> LimitTestOpt = new("--limit-test") { Description = "use only the first N test images (0: all)", DefaultValueFactory = _ => 0 };
    internal static readonly Option<int> ValOpt = new("--val") { Description = "hold out N training images (chosen by --seed, the same for every activation) for validation; the best validation epoch is kept as best-val.safetensors (0: none)", DefaultValueFactory = _ => 0 };
    internal static readonly Option<float> LabelSmoothingOpt = new("--label-smoothing") { Description = "label smoothing ε of the training loss, in [0, 1] (PyTorch's label_smoothing)", DefaultValueFactory = _ => 0f, CustomParser = OptionValues.ParseFloat };
    private static readonly Option<int> CheckEveryOpt = new("--check-every") { Description = "steps between checks of loss, gradients and parameters for NaN/Inf", DefaultValueFactory = _ => 100 };
    private static readonly Option<string?> InitFromOpt = new("--init-from") { Description = "start from these weights: a .safetensors state dict of the same model (saved by PyTorch, or by `activations export --format safetensors`)" };
    internal static readonly Option<float?> ClipOpt = new("--clip-grad-norm") { Description = "clip the global gradient norm to this before each step", CustomParser = OptionValues.ParseOptionalFloat };
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
        DatasetOpt, ImageSizeOpt, ModelOpt, ActivationOpt, AlphaOpt, LearnableOpt, PerChannelOpt, InitOpt, EpochsOpt, BatchOpt, LrOpt, MomentumOpt,
        NesterovOpt, WeightDecayOpt, OptimizerOpt, ScheduleOpt, SeedOpt, DeviceOpt, DataOpt, MirrorOpt, OutOpt, LimitTrainOpt, LimitTestOpt, AugmentOpt, ResumeOpt,
        CheckEveryOpt, ClipOpt, InitFromOpt, ValOpt, LabelSmoothingOpt,
    ];

    /// <summary>The training recipe: the options `compare` takes from `train` as they are, read by <see cref="WithRecipe"/>.</summary>
    internal static readonly Option[] RecipeOptions =
    [
        EpochsOpt, BatchOpt, LrOpt, MomentumOpt, NesterovOpt, WeightDecayOpt, OptimizerOpt, ScheduleOpt, AugmentOpt, LabelSmoothingOpt, ClipOpt, ValOpt,
    ];

    /// <summary><paramref name="c"/> with the recipe options of <paramref name="p"/> (unchecked: Validate checks them).</summary>
    internal static RunConfig WithRecipe(ParseResult p, RunConfig c) =>
        Settings.Where(s => RecipeOptions.Contains(s.Option)).Aggregate(c, (c, s) => s.Set(c, s.Read(p)));

    /// <summary>Every command and option of the app (also walked by the tests that check help texts).</summary>
    public static RootCommand Build()
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
        root.Subcommands.Add(ModelCommands.BuildSummary());
        root.Subcommands.Add(ModelCommands.BuildGraph());
        root.Subcommands.Add(ExportCommand.Build());
        return root;
    }

    /// <summary>Runs the app with <paramref name="args"/>; returns the exit code. Never throws.</summary>
    public static int Run(string[] args, Console2 console)
    {
        console = console.Guarded();
        try
        {
            var root = Build();
            if (args is ["--version"])
            {
                console.Out.WriteLine(VersionText());
                return Ok;
            }
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
                "summary" => ModelCommands.RunSummary(parse, console),
                "graph" => ModelCommands.RunGraph(parse, console),
                "export" => ExportCommand.Run(parse, console),
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
        catch (Exception e) when (e is DeviceUnavailableException or DataFormatException or DatasetException or DatasetUnavailableException
                                   or CheckpointException or DeviceOutOfMemoryException or RunClaimedException)
        {
            console.Error.WriteLine($"error: {OneLine(e.Message)}");
            return Failure;
        }
        catch (Exception e)
        {
            // Every expected failure has its own type above; this one is a bug, said so without
            // leading with a .NET type name.
            console.Error.WriteLine($"error: unexpected failure: {OneLine(e.Message)} ({e.GetType().Name}; please report it)");
            return Failure;
        }
    }

    /// <summary>"activations 0.1.0 (commit 1a2b3c4…)": the version and the commit the build embedded (SourceLink's InformationalVersion).</summary>
    public static string VersionText()
    {
        string info = typeof(CommandLine).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";
        int plus = info.IndexOf('+');
        return plus < 0
            ? $"activations {info} (commit unknown: built outside a git checkout)"
            : $"activations {info[..plus]} (commit {info[(plus + 1)..]})";
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");

    private static bool IsCommandOrHelp(string first, RootCommand root) =>
        first is "-h" or "--help" or "-?" or "/?" or "/h" or "--version" || root.Subcommands.Any(c => c.Name == first);

    /// <summary>A train option and the RunConfig setting it fills: read from a command line, compared and carried over on resume.</summary>
    private sealed record Setting(Option Option, Func<RunConfig, object?> Get, Func<RunConfig, object?, RunConfig> Set, Func<ParseResult, object?> Read);

    /// <summary>A setting of type T; <paramref name="clean"/> normalises what the command line gave (case, white space).</summary>
    private static Setting Bind<T>(Option<T> option, Func<RunConfig, T> get, Func<RunConfig, T, RunConfig> set, Func<T?, T>? clean = null) =>
        new(option, c => get(c), (c, v) => set(c, (T)v!), p => clean is null ? p.GetValue(option) : clean(p.GetValue(option)));

    private static string Lower(string? s) => (s ?? "").Trim().ToLowerInvariant();

    /// <summary>Every train option that is a RunConfig setting, in one table.</summary>
    private static readonly Setting[] Settings =
    [
        Bind(DatasetOpt, c => c.Dataset, (c, v) => c with { Dataset = v }, v => DatasetSource.Normalise(v ?? "")),
        Bind(ImageSizeOpt, c => c.ImageSize, (c, v) => c with { ImageSize = v }), Bind(ModelOpt, c => c.Model, (c, v) => c with { Model = v }, Lower),
        Bind(ActivationOpt, c => c.Activation, (c, v) => c with { Activation = v }, Lower), Bind(AlphaOpt, c => c.Alpha, (c, v) => c with { Alpha = v }),
        Bind(LearnableOpt, c => c.LearnableAlpha, (c, v) => c with { LearnableAlpha = v }),
        Bind(PerChannelOpt, c => c.AlphaPerChannel, (c, v) => c with { AlphaPerChannel = v }), Bind(InitOpt, c => c.Init, (c, v) => c with { Init = v }, Lower),
        Bind(EpochsOpt, c => c.Epochs, (c, v) => c with { Epochs = v }), Bind(BatchOpt, c => c.Batch, (c, v) => c with { Batch = v }),
        Bind(LrOpt, c => c.Lr, (c, v) => c with { Lr = v }), Bind(MomentumOpt, c => c.Momentum, (c, v) => c with { Momentum = v }),
        Bind(NesterovOpt, c => c.Nesterov, (c, v) => c with { Nesterov = v }), Bind(WeightDecayOpt, c => c.WeightDecay, (c, v) => c with { WeightDecay = v }),
        Bind(OptimizerOpt, c => c.Optimizer, (c, v) => c with { Optimizer = v }, Lower), Bind(ScheduleOpt, c => c.Schedule, (c, v) => c with { Schedule = v }, Lower),
        Bind(SeedOpt, c => c.Seed, (c, v) => c with { Seed = v }), Bind(DeviceOpt, c => c.Device, (c, v) => c with { Device = v }, Lower),
        Bind<string?>(DataOpt, c => c.Data, (c, v) => c with { Data = v }), Bind<string?>(MirrorOpt, c => c.Mirror, (c, v) => c with { Mirror = v }),
        Bind(OutOpt, c => c.Out, (c, v) => c with { Out = v }, s => s ?? "runs"),
        Bind(LimitTrainOpt, c => c.LimitTrain, (c, v) => c with { LimitTrain = v }), Bind(LimitTestOpt, c => c.LimitTest, (c, v) => c with { LimitTest = v }),
        Bind(AugmentOpt, c => c.Augment, (c, v) => c with { Augment = v }), Bind<string?>(ResumeOpt, c => c.Resume, (c, v) => c with { Resume = v }),
        Bind<string?>(InitFromOpt, c => c.InitFrom, (c, v) => c with { InitFrom = v }), Bind(CheckEveryOpt, c => c.CheckEvery, (c, v) => c with { CheckEvery = v }),
        Bind(ClipOpt, c => c.ClipGradNorm, (c, v) => c with { ClipGradNorm = v }), Bind(ValOpt, c => c.Val, (c, v) => c with { Val = v }),
        Bind(LabelSmoothingOpt, c => c.LabelSmoothing, (c, v) => c with { LabelSmoothing = v }),
    ];

    /// <summary>The checked configuration of a `train` command line.</summary>
    public static RunConfig ToConfig(ParseResult p)
    {
        var c = Settings.Aggregate(new RunConfig(), (c, s) => s.Set(c, s.Read(p)));
        // Checked before the checkpoint is read: the two options contradict each other whatever it holds.
        if (c.InitFrom is not null && c.Resume is not null) throw new UsageException("--init-from and --resume exclude each other: --resume continues a run, --init-from starts a new one");
        return Validate(c.Resume is null ? c : WithStoredSettings(p, c));
    }

    /// <summary>What a resumed run may change: how long it trains, where, how often it checks, and where files are.</summary>
    private static readonly Option[] ChangeableOnResume = [EpochsOpt, DeviceOpt, CheckEveryOpt, OutOpt, DataOpt, MirrorOpt, ResumeOpt];

    /// <summary>
    /// The settings of the run in the checkpoint, with only the changeable options taken from the
    /// command line; any other option given with a different value is a UsageException naming it.
    /// </summary>
    private static RunConfig WithStoredSettings(ParseResult p, RunConfig given)
    {
        var stored = Validate(PredictionsCommand.StoredConfig(given.Resume!));
        given = given with
        {
            Activation = ActivationCatalog.TryParse(given.Activation, out var kind) ? kind.Name : given.Activation,
            Init = Init.TryParse(given.Init, out var scheme) ? Init.Name(scheme) : given.Init,
        };
        var changeable = ChangeableOnResume.Where(o => o != ResumeOpt).Select(o => o.Name).ToArray();
        string allowed = $"{string.Join(", ", changeable[..^1])} and {changeable[^1]}";
        foreach (var s in Settings.Where(s => !ChangeableOnResume.Contains(s.Option)))
        {
            if (!Given(p, s.Option) || Equals(s.Get(stored), s.Get(given))) continue;
            throw new UsageException($"{s.Option.Name}: the run in the checkpoint has {Show(s.Get(stored))}, not {Show(s.Get(given))}; " +
                                     $"a resumed run keeps its settings (only {allowed} may be given again)");
        }
        return Settings.Where(s => ChangeableOnResume.Contains(s.Option) && Given(p, s.Option))
            .Aggregate(stored with { Resume = given.Resume }, (c, s) => s.Set(c, s.Get(given)));
    }

    private static bool Given(ParseResult p, Option option) => p.GetResult(option) is { Implicit: false };

    private static string Show(object? value) => value switch
    {
        null => "the default",
        bool b => b ? "it on" : "it off",
        float f => f.ToString(CultureInfo.InvariantCulture),
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Checks every value; throws a UsageException naming the option.</summary>
    public static RunConfig Validate(RunConfig c)
    {
        if (DatasetSource.Problem(c.Dataset) is { } dataProblem) throw new UsageException($"--dataset: {dataProblem}");
        if (c.ImageSize is { } side)
        {
            if (!DatasetSource.IsFolder(c.Dataset, out _)) throw new UsageException($"--image-size applies to folder: data sets only, not {c.Dataset}");
            OptionValues.Range("--image-size", side, 1, ImageFolderDataset.MaxSide);
        }
        if (!ModelFactory.Names.Contains(c.Model)) throw new UsageException($"--model: unknown model '{c.Model}'; expected one of {string.Join(", ", ModelFactory.Names)}");
        if (!ActivationCatalog.TryParse(c.Activation, out var kind))
            throw new UsageException($"--activation: unknown activation '{c.Activation}'; expected one of {string.Join(", ", ActivationCatalog.All.Select(a => a.Name))}");
        c = c with { Activation = kind.Name };
        CheckActivationParameter(kind, c);
        if (!Init.TryParse(c.Init, out var scheme)) throw new UsageException($"--init: unknown scheme '{c.Init}'; expected one of {string.Join(", ", Init.Names)}");
        c = c with { Init = Init.Name(scheme) };
        OptionValues.Range("--epochs", c.Epochs, 1, MaxEpochs);
        OptionValues.Range("--batch", c.Batch, 1, MaxBatch);
        if (!(c.Lr > 0) || !float.IsFinite(c.Lr)) throw new UsageException($"--lr must be a positive number; got {c.Lr.ToString(CultureInfo.InvariantCulture)}");
        if (!(c.Momentum >= 0 && c.Momentum < 1)) throw new UsageException($"--momentum must be in [0, 1); got {c.Momentum.ToString(CultureInfo.InvariantCulture)}");
        if (c.Nesterov && c.Momentum == 0) throw new UsageException("--nesterov needs --momentum > 0");
        if (c.WeightDecay is { } wd && (!(wd >= 0) || !float.IsFinite(wd))) throw new UsageException($"--weight-decay must be ≥ 0; got {wd.ToString(CultureInfo.InvariantCulture)}");
        if (!Optimizers.Contains(c.Optimizer)) throw new UsageException($"--optimizer: unknown optimizer '{c.Optimizer}'; expected one of {string.Join(", ", Optimizers)}");
        if (!Schedules.Contains(c.Schedule)) throw new UsageException($"--schedule: unknown schedule '{c.Schedule}'; expected one of {string.Join(", ", Schedules)}");
        c = c with { Device = OptionValues.Device("--device", c.Device) };
        if (c.LimitTrain < 0 || c.LimitTest < 0) throw new UsageException("--limit-train and --limit-test must be ≥ 0");
        if (string.IsNullOrWhiteSpace(c.Out)) throw new UsageException("--out needs a folder");
        OptionValues.Range("--check-every", c.CheckEvery, 1, int.MaxValue);
        if (c.ClipGradNorm is { } clip && (!(clip > 0) || !float.IsFinite(clip)))
            throw new UsageException($"--clip-grad-norm must be a positive number; got {clip.ToString(CultureInfo.InvariantCulture)}");
        if (!(c.LabelSmoothing >= 0 && c.LabelSmoothing <= 1))
            throw new UsageException($"--label-smoothing must be in [0, 1]; got {c.LabelSmoothing.ToString(CultureInfo.InvariantCulture)}");
        // The data set's own size is checked when it is loaded (ValidationSplit); a --limit-train already bounds it here.
        OptionValues.Range("--val", c.Val, 0, int.MaxValue);
        if (c.LimitTrain > 0) ValidationSplit.Check(c.Val, c.LimitTrain);
        return c;
    }

    /// <summary>
    /// The one place that says which parameter options an activation takes: --alpha, --learnable-alpha
    /// and --alpha-per-channel only where the activation has a parameter, and with a valid value.
    /// </summary>
    public static void CheckActivationParameter(ActivationInfo kind, RunConfig c)
    {
        string takers = string.Join(", ", ActivationCatalog.All.Where(a => a.HasParameter).Select(a => a.Name));
        if (c.Alpha is { } a)
        {
            if (!kind.HasParameter)
                throw new UsageException($"--alpha: {kind.Name} has no parameter, so --alpha {a.ToString(CultureInfo.InvariantCulture)} would mean nothing (only {takers} take one)");
            try { kind.Validate(a); }
            catch (ArgumentOutOfRangeException e) { throw new UsageException($"--alpha: {FirstLine(e.Message)}"); }
        }
        if (c.LearnableAlpha && !kind.HasLearnableParameter)
            throw new UsageException($"--learnable-alpha: {kind.Name} has no parameter to learn (use {string.Join(", ", ActivationCatalog.All.Where(a => a.HasLearnableParameter).Select(a => a.Name))})");
        if (c.AlphaPerChannel && !c.LearnableAlpha) throw new UsageException("--alpha-per-channel needs --learnable-alpha");
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Split(" (Parameter")[0].Trim();

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
        using var device = Device.Create(OptionValues.Device("--device", spec));
        return new Verify.KernelVerifier(device, console.Out).Run() == 0 ? Ok : Failure;
    }

    private static int Check(ParseResult parse, Console2 console)
    {
        string name = parse.GetValue(CheckActivationOpt)!;
        if (!ActivationCatalog.TryParse(name, out var activation))
            throw new UsageException($"--activation: unknown activation '{name}'; expected one of {ActivationCatalog.Names} or a file.cs");
        int elements = parse.GetValue(CheckElementsOpt);
        OptionValues.Range("--elements", elements, 1, 1 << 28);
        var keys = parse.GetValue(CheckDeviceOpt)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (keys.Length == 0 || keys.Any(k => k.Equals("auto", StringComparison.OrdinalIgnoreCase)))
            throw new UsageException($"--device: expected accelerators separated by commas (cpu, opencl[:N], cuda[:N]); got '{parse.GetValue(CheckDeviceOpt)}'");
        keys = keys.Select(k => OptionValues.Device("--device", k)).ToArray();
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
        OptionValues.Range("--elements", elements, 1, 1 << 28);
        string sizes = parse.GetValue(BenchMatMulOpt)!;
        foreach (var size in sizes.Split(',')) OptionValues.Integer("--matmul", size, 1, 16384);
        var devices = parse.GetValue(BenchDeviceOpt)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var activations = new List<ActivationInfo>();
        foreach (var name in (parse.GetValue(BenchActivationsOpt) ?? string.Join(",", ActivationCatalog.BuiltIn.Select(a => a.Name))).Split(',', StringSplitOptions.RemoveEmptyEntries))
            activations.Add(ActivationCatalog.TryParse(name, out var a) ? a : throw new UsageException($"--activations: unknown activation '{name}'; expected one of {ActivationCatalog.Names}"));
        return Training.Bench.QuickBench.Run(devices, activations, elements, sizes.Split(',').Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray(), parse.GetValue(BenchOutOpt), console.Out);
    }
}
