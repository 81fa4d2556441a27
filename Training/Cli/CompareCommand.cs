// `activations compare`: a seeded grid of activations (× α × learnable × init × seeds) on one
// model, trained in process, resumable; then the report (report.md, summary.csv/json) and plots
// (training curves, final accuracy) drawn from the logged runs only.
// `activations plot`: the activation functions and their slopes for chosen α, from the kernels.
using System.CommandLine;
using System.Globalization;
using Activations.Engine;
using Activations.Training.Data;
using Activations.Training.Study;
using Activations.Kernels.Activations;

namespace Activations.Training.Cli;

public static class CompareCommand
{
    public static readonly Option<string> Dataset = new("--dataset") { Description = "mnist or cifar10", DefaultValueFactory = _ => "mnist" };
    public static readonly Option<string> Model = new("--model") { Description = "mlp, cnn, lenet, vgg", DefaultValueFactory = _ => "mlp" };
    public static readonly Option<string> Activations = new("--activations") { Description = "comma-separated activations; name:α pins one α (e.g. talu:1,exlu:0.2); ./mine.cs or ./mine.cs:0.5 for a file of your own", DefaultValueFactory = _ => "relu,talu,exlu" };
    public static readonly Option<string> Alphas = new("--alphas") { Description = "comma-separated α for the activations whose first parameter is α", DefaultValueFactory = _ => "1" };
    public static readonly Option<string> Learnable = new("--learnable") { Description = "fixed, learnable or both", DefaultValueFactory = _ => "fixed" };
    public static readonly Option<string> Inits = new("--inits") { Description = "comma-separated init schemes", DefaultValueFactory = _ => "default" };
    public static readonly Option<string> Seeds = new("--seeds") { Description = "seeds: 0-4 or 0,1,2", DefaultValueFactory = _ => "0-2" };
    public static readonly Option<int> Epochs = new("--epochs") { DefaultValueFactory = _ => 5 };
    public static readonly Option<int> Batch = new("--batch") { DefaultValueFactory = _ => 64 };
    public static readonly Option<double> Lr = new("--lr") { DefaultValueFactory = _ => 0.01 };
    public static readonly Option<double> Momentum = new("--momentum") { DefaultValueFactory = _ => 0.9 };
    public static readonly Option<string> Device_ = new("--device") { DefaultValueFactory = _ => "auto" };
    public static readonly Option<string?> Out = new("--out") { Description = "grid folder (default runs/compare/<dataset>-<model>)" };
    public static readonly Option<int> LimitTrain = new("--limit-train") { DefaultValueFactory = _ => 0 };
    public static readonly Option<int> LimitTest = new("--limit-test") { DefaultValueFactory = _ => 0 };
    public static readonly Option<string?> Data = new("--data");
    public static readonly Option<string?> Mirror = new("--mirror");

    public static readonly Option<string> PlotAlphas = new("--alphas") { Description = "comma-separated α", DefaultValueFactory = _ => "0.2,1" };
    public static readonly Option<string> PlotActivations = new("--activations") { Description = "comma-separated activations or files.cs of your own (default: all built-in)", DefaultValueFactory = _ => string.Join(",", ActivationCatalog.BuiltIn.Select(a => a.Name)) };
    public static readonly Option<string> PlotDevice = new("--device") { DefaultValueFactory = _ => "auto" };
    public static readonly Option<string> PlotOut = new("--out") { DefaultValueFactory = _ => "activations.png" };
    public static readonly Option<string?> PlotGrid = new("--grid") { Description = "redraw the report and plots of a compare grid folder" };

    public static Command BuildCompare()
    {
        var c = new Command("compare", "train a seeded grid of activations and report mean ± sd, 95% CI and tests against ReLU");
        foreach (var o in new Option[] { Dataset, Model, Activations, Alphas, Learnable, Inits, Seeds, Epochs, Batch, Lr, Momentum, Device_, Out, LimitTrain, LimitTest, Data, Mirror })
            c.Options.Add(o);
        return c;
    }

    public static Command BuildPlot()
    {
        var c = new Command("plot", "draw the activation functions and their slopes from the kernels (or redraw a grid's report)");
        foreach (var o in new Option[] { PlotAlphas, PlotActivations, PlotDevice, PlotOut, PlotGrid }) c.Options.Add(o);
        return c;
    }

    private static List<string> Names(string csv) => csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static List<double> Numbers(string csv, string option)
    {
        var list = new List<double>();
        foreach (var s in Names(csv))
        {
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                throw new UsageException($"{option}: '{s}' is not a number");
            list.Add(v);
        }
        if (list.Count == 0) throw new UsageException($"{option}: give at least one value");
        return list;
    }

    /// <summary>"0-4" or "0,1,2" → seeds.</summary>
    public static List<int> ParseSeeds(string text)
    {
        var t = text.Trim();
        int dash = t.IndexOf('-');
        if (dash > 0 && int.TryParse(t[..dash], out int a) && int.TryParse(t[(dash + 1)..], out int b) && a >= 0 && b >= a && b - a < 1000)
            return Enumerable.Range(a, b - a + 1).ToList();
        var seeds = new List<int>();
        foreach (var s in Names(t))
        {
            if (!int.TryParse(s, out int v) || v < 0) throw new UsageException($"--seeds: '{text}' is not a range like 0-4 or a list like 0,1,2");
            seeds.Add(v);
        }
        if (seeds.Count == 0) throw new UsageException("--seeds: give at least one seed");
        return seeds;
    }

    public static int RunCompare(ParseResult p, Console2 console)
    {
        var activations = Names(p.GetValue(Activations)!).Select(a => a.ToLowerInvariant()).ToList();
        if (activations.Count == 0) throw new UsageException("--activations: give at least one activation");
        foreach (var a in activations)
        {
            (string name, double? pinned) entry;
            try { entry = GridSpec.SplitEntry(a); }
            catch (ArgumentException e) { throw new UsageException($"--activations: {e.Message}"); }
            if (!ActivationCatalog.TryParse(entry.name, out var kind)) throw new UsageException($"--activations: unknown activation '{entry.name}'");
        }
        var alphas = Numbers(p.GetValue(Alphas)!, "--alphas");
        bool[] learnable = p.GetValue(Learnable)!.ToLowerInvariant() switch
        {
            "fixed" => [false],
            "learnable" => [true],
            "both" => [false, true],
            var other => throw new UsageException($"--learnable: expected fixed, learnable or both; got '{other}'"),
        };
        string dataset = p.GetValue(Dataset)!.ToLowerInvariant(), model = p.GetValue(Model)!.ToLowerInvariant();
        if (dataset is not ("mnist" or "cifar10")) throw new UsageException($"--dataset: unknown data set '{dataset}'");
        if (!Models.ModelFactory.Names.Contains(model)) throw new UsageException($"--model: unknown model '{model}'");
        int epochs = p.GetValue(Epochs), batch = p.GetValue(Batch);
        if (epochs <= 0 || batch <= 0) throw new UsageException($"--epochs and --batch must be positive; got {epochs}, {batch}");
        double lr = p.GetValue(Lr);
        if (!(lr > 0)) throw new UsageException($"--lr must be > 0; got {lr}");
        var spec = new GridSpec
        {
            Dataset = dataset, Model = model, Epochs = epochs, BatchSize = batch, LearningRate = lr, Momentum = p.GetValue(Momentum),
            Device = p.GetValue(Device_)!, Activations = activations, Alphas = alphas, Learnable = learnable,
            Inits = Names(p.GetValue(Inits)!), Seeds = ParseSeeds(p.GetValue(Seeds)!),
            Extra = new(StringComparer.Ordinal) { ["limit_train"] = p.GetValue(LimitTrain).ToString(CultureInfo.InvariantCulture), ["limit_test"] = p.GetValue(LimitTest).ToString(CultureInfo.InvariantCulture) },
        };
        try { spec.Expand(); } // each α against its activation's rule, before anything runs
        catch (ArgumentException e) { throw new UsageException($"--activations/--alphas: {e.Message}"); }
        string folder = p.GetValue(Out) ?? Path.Combine("runs", "compare", $"{dataset}-{model}");
        using var device = Engine.Device.Create(spec.Device);
        var locator = new DatasetLocator(p.GetValue(Data), p.GetValue(Mirror)) { Log = console.Error };
        var app = new AppTrainFunction(device, locator, p.GetValue(LimitTrain), p.GetValue(LimitTest), console.Out);
        using (var signals = new StopSignals(console.Error))
        {
            var runner = new GridRunner(spec, folder, app.Train) { Log = console.Out.WriteLine };
            var outcome = runner.Run(GridRunner.CurrentCommandLine(), signals.Token);
            console.Out.WriteLine($"grid {folder}: {outcome.Trained.Count} trained, {outcome.Skipped.Count} already done, {outcome.Failed.Count} failed, {outcome.NotRun.Count} not run");
            if (outcome.Cancelled)
            {
                console.Out.WriteLine("interrupted: the run in progress saved a checkpoint; run the same command again to resume");
                return signals.ExitCode;
            }
        }
        return WriteReport(folder, console);
    }

    private static int WriteReport(string folder, Console2 console)
    {
        var report = StudyReport.FromGrid(folder);
        report.Write(folder);
        Plots.TrainingCurves(report, Path.Combine(folder, "curves.png"));
        Plots.FinalAccuracy(report, Path.Combine(folder, "accuracy.png"));
        console.Out.WriteLine($"report: {Path.Combine(folder, "report.md")} (plots: curves.png, accuracy.png)");
        return CommandLine.Ok;
    }

    public static int RunPlot(ParseResult p, Console2 console)
    {
        if (p.GetValue(PlotGrid) is { } grid)
        {
            if (!File.Exists(Path.Combine(grid, GridRunner.ManifestFile)))
                throw new UsageException($"--grid: {grid} has no {GridRunner.ManifestFile}");
            return WriteReport(grid, console);
        }
        var alphas = Numbers(p.GetValue(PlotAlphas)!, "--alphas");
        var curves = new List<ActivationCurve>();
        foreach (var name in Names(p.GetValue(PlotActivations)!))
        {
            if (!ActivationCatalog.TryParse(name, out var kind)) throw new UsageException($"--activations: unknown activation '{name}'");
            if (kind.TakesAlpha)
            {
                foreach (var a in alphas)
                {
                    try { kind.Validate((float)a); }
                    catch (ArgumentOutOfRangeException e) { throw new UsageException($"--alphas: {e.Message}"); }
                    curves.Add(new ActivationCurve(kind, (float)a));
                }
            }
            else curves.Add(new ActivationCurve(kind));
        }
        if (curves.Count == 0) throw new UsageException("--activations: give at least one activation");
        using var device = Engine.Device.Create(p.GetValue(PlotDevice)!);
        string outPath = p.GetValue(PlotOut)!;
        Plots.ActivationFunctions(device, curves, outPath);
        console.Out.WriteLine($"wrote {outPath} (values from the {device.Key} kernels)");
        return CommandLine.Ok;
    }
}
