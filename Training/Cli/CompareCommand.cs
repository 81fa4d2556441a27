// `activations compare`: a seeded grid of activations (× α × learnable × init × seeds) on one
// model, trained in process, resumable; then the report (report.md, summary.csv/json) and plots
// (training curves, final accuracy, confusion matrices when runs wrote them) drawn from the logged runs only.
// `activations plot`: the activation functions and their slopes for chosen α, from the kernels.
using System.CommandLine;
using System.Globalization;
using Activations.Engine;
using Activations.Training.Data;
using Activations.Training.Run;
using Activations.Training.Study;
using Activations.Kernels.Activations;

namespace Activations.Training.Cli;

public static class CompareCommand
{
    private static readonly Option<string> Dataset = CommandLine.DatasetOpt, Model = CommandLine.ModelOpt;
    public static readonly Option<string> Activations = new("--activations") { Description = "comma-separated activations; name:α pins one α (e.g. talu:1,exlu:0.2); ./mine.cs or ./mine.cs:0.5 for a file of your own", DefaultValueFactory = _ => "relu,talu,exlu" };
    public static readonly Option<string> Alphas = new("--alphas") { Description = "comma-separated α for the activations whose first parameter is α", DefaultValueFactory = _ => "1" };
    public static readonly Option<string> Learnable = new("--learnable") { Description = "fixed, learnable or both", DefaultValueFactory = _ => "fixed" };
    public static readonly Option<string> Inits = new("--inits") { Description = "comma-separated init schemes", DefaultValueFactory = _ => "default" };
    public static readonly Option<string> Seeds = new("--seeds") { Description = "seeds: 0-4 or 0,1,2", DefaultValueFactory = _ => "0-2" };
    // The training recipe (--epochs, --batch, --lr, --optimizer, --val, ...), the device and the data options are train's own (CommandLine.RecipeOptions).
    private static readonly Option<string> Device_ = CommandLine.DeviceOpt;
    public static readonly Option<string?> Out = new("--out") { Description = "grid folder (default runs/compare/<dataset>-<model>)" };
    private static readonly Option<int> LimitTrain = CommandLine.LimitTrainOpt, LimitTest = CommandLine.LimitTestOpt;
    private static readonly Option<string?> Data = CommandLine.DataOpt, Mirror = CommandLine.MirrorOpt;
    public static readonly Option<string?> Shard = new("--shard") { Description = "train only shard I/N: the runs whose grid index is I mod N (default from SLURM_ARRAY_TASK_ID/COUNT)" };
    public static readonly Option<int?> Shards = new("--shards") { Description = "number of shards N, the index coming from JOB_COMPLETION_INDEX (Kubernetes Indexed Job)" };
    public static readonly Option<bool> Claim = new("--claim") { Description = "work beside other workers on one grid folder: claim each run, wait for and take over runs others hold (default when sharding)" };
    public static readonly Option<string> Lease = new("--lease") { Description = "a run whose claim's heartbeat is older than this is taken over (e.g. 10m, 30s)", DefaultValueFactory = _ => "10m" };
    public static readonly Option<bool> ReportOnly = new("--report-only") { Description = "train nothing: write the report of whatever runs have finished" };
    public static readonly Option<bool> Status = new("--status") { Description = "train nothing: list done, running, stale and missing runs" };

    public static readonly Option<string> PlotAlphas = new("--alphas") { Description = "comma-separated α", DefaultValueFactory = _ => "0.2,1" };
    public static readonly Option<string> PlotActivations = new("--activations") { Description = "comma-separated activations or files.cs of your own (default: all built-in)", DefaultValueFactory = _ => string.Join(",", ActivationCatalog.BuiltIn.Select(a => a.Name)) };
    public static readonly Option<string> PlotDevice = new("--device") { Description = "accelerator that evaluates the curves (" + CommandLine.DeviceHelp + ")", DefaultValueFactory = _ => "auto" };
    public static readonly Option<string> PlotOut = new("--out") { Description = "PNG to write", DefaultValueFactory = _ => "activations.png" };
    public static readonly Option<string?> PlotGrid = new("--grid") { Description = "redraw the report and plots of a compare grid folder" };

    public static Command BuildCompare()
    {
        var c = new Command("compare", "train a seeded grid of activations and report mean ± sd, 95% CI and tests against ReLU");
        foreach (var o in new Option[] { Dataset, Model, Activations, Alphas, Learnable, Inits, Seeds }.Concat(CommandLine.RecipeOptions)
                     .Concat([Device_, Out, LimitTrain, LimitTest, Data, Mirror, Shard, Shards, Claim, Lease, ReportOnly, Status]))
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
        foreach (var s in Names(csv)) list.Add(OptionValues.Number(option, s));
        if (list.Count == 0) throw new UsageException($"{option}: give at least one value");
        return list;
    }

    /// <summary>The most seeds one range may give.</summary>
    public const int MaxSeeds = 1000;

    /// <summary>"0-4" or "0,1,2" → seeds.</summary>
    public static List<int> ParseSeeds(string text)
    {
        var t = text.Trim();
        int dash = t.IndexOf('-');
        if (dash > 0)
        {
            int a = OptionValues.Integer("--seeds", t[..dash], 0, int.MaxValue - MaxSeeds);
            int b = OptionValues.Integer("--seeds", t[(dash + 1)..], a, a + MaxSeeds - 1);
            return Enumerable.Range(a, b - a + 1).ToList();
        }
        var seeds = new List<int>();
        foreach (var s in Names(t)) seeds.Add(OptionValues.Integer("--seeds", s, 0, int.MaxValue));
        if (seeds.Distinct().Count() != seeds.Count) throw new UsageException($"--seeds: '{text}' repeats a seed");
        if (seeds.Count == 0) throw new UsageException("--seeds: give at least one seed");
        return seeds;
    }

    /// <summary>
    /// The whole grid from the command line, checked before anything starts: every option's value,
    /// then every run the grid expands to. Any problem is a UsageException (exit 2).
    /// </summary>
    public static (GridSpec Spec, string Folder) ParseGrid(ParseResult p)
    {
        var activations = Names(p.GetValue(Activations)!).Select(a => a.ToLowerInvariant()).ToList();
        if (activations.Count == 0) throw new UsageException("--activations: give at least one activation");
        var seen = new HashSet<string>();
        foreach (var a in activations)
        {
            (string name, double? pinned) entry;
            try { entry = GridSpec.SplitEntry(a); }
            catch (ArgumentException e) { throw new UsageException($"--activations: {e.Message}"); }
            if (!ActivationCatalog.TryParse(entry.name, out var kind)) throw new UsageException($"--activations: unknown activation '{entry.name}'");
            if (entry.pinned is double pa)
            {
                if (!kind.HasParameter) throw new UsageException($"--activations: '{a}': {entry.name} has no parameter");
                try { kind.Validate((float)pa); }
                catch (ArgumentOutOfRangeException e) { throw new UsageException($"--activations: '{a}': {FirstLine(e.Message)}"); }
            }
            if (!seen.Add(kind.Name + (entry.pinned is double v ? ":" + v.ToString("R", CultureInfo.InvariantCulture) : "")))
                throw new UsageException($"--activations: '{a}' is listed twice");
        }
        var alphas = Numbers(p.GetValue(Alphas)!, "--alphas");
        // --alphas applies to activations whose first parameter is an α and that are not pinned,
        // --learnable to any activation with a parameter (GridSpec.Expand); where nothing takes them, they would mean nothing.
        var entries = activations.Select(GridSpec.SplitEntry).Select(e => (Kind: ActivationCatalog.Parse(e.Name), e.Alpha)).ToList();
        if (p.GetResult(Alphas) is { Implicit: false } && !entries.Any(e => e.Alpha is null && e.Kind.TakesAlpha))
            throw new UsageException($"--alphas: none of --activations {p.GetValue(Activations)} takes α from --alphas (those with an α do: {string.Join(", ", ActivationCatalog.All.Where(k => k.TakesAlpha).Select(k => k.Name))}, unless pinned as name:α)");
        if (p.GetResult(Learnable) is { Implicit: false } && !entries.Any(e => e.Kind.HasLearnableParameter))
            throw new UsageException($"--learnable: none of --activations {p.GetValue(Activations)} has a parameter to learn");
        if (alphas.Distinct().Count() != alphas.Count) throw new UsageException($"--alphas: '{p.GetValue(Alphas)}' repeats a value");
        bool[] learnable = p.GetValue(Learnable)!.ToLowerInvariant() switch
        {
            "fixed" => [false],
            "learnable" => [true],
            "both" => [false, true],
            var other => throw new UsageException($"--learnable: expected fixed, learnable or both; got '{other}'"),
        };
        var inits = new List<string>();
        foreach (var name in Names(p.GetValue(Inits)!))
        {
            if (!Engine.Nn.Init.TryParse(name, out var scheme))
                throw new UsageException($"--inits: unknown scheme '{name}'; expected one of {string.Join(", ", Engine.Nn.Init.Names)}");
            if (inits.Contains(Engine.Nn.Init.Name(scheme))) throw new UsageException($"--inits: '{name}' is listed twice");
            inits.Add(Engine.Nn.Init.Name(scheme));
        }
        if (inits.Count == 0) throw new UsageException("--inits: give at least one init scheme");
        string dataset = DatasetSource.Normalise(p.GetValue(Dataset)!), model = p.GetValue(Model)!.ToLowerInvariant();
        if (DatasetSource.Problem(dataset) is { } dataProblem) throw new UsageException($"--dataset: {dataProblem}");
        if (!Models.ModelFactory.Names.Contains(model)) throw new UsageException($"--model: unknown model '{model}'; expected one of {string.Join(", ", Models.ModelFactory.Names)}");
        int limitTrain = p.GetValue(LimitTrain), limitTest = p.GetValue(LimitTest);
        OptionValues.Range("--limit-train", limitTrain, 0, int.MaxValue);
        OptionValues.Range("--limit-test", limitTest, 0, int.MaxValue);
        var seeds = ParseSeeds(p.GetValue(Seeds)!);
        // The recipe passes train's checks once, so a bad value is named as the option, not as the first run's failure.
        var r = CommandLine.Validate(CommandLine.WithRecipe(p, new Run.RunConfig
        {
            Dataset = dataset, Model = model, Device = p.GetValue(Device_) ?? "", LimitTrain = limitTrain, LimitTest = limitTest,
        }));
        var spec = new GridSpec
        {
            Dataset = dataset, Model = model, Epochs = r.Epochs, BatchSize = r.Batch, LearningRate = Decimal(r.Lr), Momentum = Decimal(r.Momentum),
            Optimizer = r.Optimizer, Schedule = r.Schedule, WeightDecay = r.WeightDecay, Nesterov = r.Nesterov, Augment = r.Augment,
            LabelSmoothing = r.LabelSmoothing, ClipGradNorm = r.ClipGradNorm, Val = r.Val,
            Device = r.Device, Activations = activations, Alphas = alphas, Learnable = learnable,
            Inits = inits, Seeds = seeds,
            Extra = new(StringComparer.Ordinal) { ["limit_train"] = limitTrain.ToString(CultureInfo.InvariantCulture), ["limit_test"] = limitTest.ToString(CultureInfo.InvariantCulture) },
        };
        IReadOnlyList<Run.RunConfig> runs;
        try { runs = spec.Expand(); }
        catch (ArgumentException e) { throw new UsageException($"grid: {FirstLine(e.Message)}"); }
        // Every run passes the checks `train` makes, before the first one starts.
        foreach (var run in runs)
        {
            try { CommandLine.Validate(run); }
            catch (UsageException e) { throw new UsageException($"run '{run.Id}': {e.Message}"); }
        }
        string folder = p.GetValue(Out) ?? Path.Combine("runs", "compare", $"{DatasetSource.Label(dataset)}-{model}");
        OptionValues.OutputFolder("--out", folder);
        return (spec, folder);
    }

    /// <summary>The float as the decimal number it was written as (0.01f → 0.01, not 0.009999999776), as grid.json has always held it.</summary>
    private static double Decimal(float v) => double.Parse(Run.RunConfig.Num(v), CultureInfo.InvariantCulture);

    private static string FirstLine(string s) => s.Split('\n')[0].Split(" (Parameter")[0].Trim();

    public static int RunCompare(ParseResult p, Console2 console)
    {
        var lease = RunClaim.ParseLease(p.GetValue(Lease)!) ?? throw new UsageException($"--lease: '{p.GetValue(Lease)}' is not a duration like 10m, 30s or 1h");
        if (p.GetValue(ReportOnly) || p.GetValue(Status))
        {
            if (p.GetValue(ReportOnly) && p.GetValue(Status)) throw new UsageException("--report-only and --status: give one of them");
            string existing = p.GetValue(Out) ?? Path.Combine("runs", "compare", $"{DatasetSource.Label(DatasetSource.Normalise(p.GetValue(Dataset)!))}-{p.GetValue(Model)!.ToLowerInvariant()}");
            if (!File.Exists(Path.Combine(existing, GridRunner.ManifestFile)))
                throw new UsageException($"--out: {existing} has no {GridRunner.ManifestFile} (no grid was started there)");
            return p.GetValue(Status) ? PrintStatus(existing, lease, console) : WriteReport(existing, console);
        }
        GridShard? shard;
        string shardSource;
        try { shard = GridShard.Resolve(p.GetValue(Shard), p.GetValue(Shards), Environment.GetEnvironmentVariable, out shardSource); }
        catch (ArgumentException e) { throw new UsageException($"--shard: {e.Message}"); }
        var (spec, folder) = ParseGrid(p);
        using var device = Engine.Device.Create(spec.Device);
        var locator = new DatasetLocator(p.GetValue(Data), p.GetValue(Mirror)) { Log = console.Error };
        var app = new AppTrainFunction(device, locator, p.GetValue(LimitTrain), p.GetValue(LimitTest), console.Out);
        try { GridRunner.CheckSpec(folder, spec); }
        catch (GridMismatchException e) { throw new UsageException($"--out: {e.Message}"); }
        app.Prepare(spec.Expand()[0]);
        using (var signals = new StopSignals(console.Error))
        {
            if (shard is not null) console.Out.WriteLine($"shard {shard} (from {shardSource}): runs whose grid index is {shard.Index} mod {shard.Count}");
            var runner = new GridRunner(spec, folder, app.Train)
            {
                Log = console.Out.WriteLine, Shard = shard, Claim = p.GetValue(Claim) || shard is not null, Lease = lease,
            };
            GridRunOutcome outcome;
            try { outcome = runner.Run(ShellQuote.CurrentCommandLine(), signals.Token); }
            catch (GridMismatchException e) { throw new UsageException($"--out: {e.Message}"); }
            console.Out.WriteLine($"grid {folder}: {outcome.Trained.Count} trained, {outcome.Skipped.Count} already done, " +
                (outcome.Elsewhere.Count > 0 ? $"{outcome.Elsewhere.Count} done by other workers, " : "") + $"{outcome.Failed.Count} failed, {outcome.NotRun.Count} not run");
            if (outcome.Cancelled)
            {
                console.Out.WriteLine("interrupted: the run in progress saved a checkpoint; run the same command again to resume");
                return signals.ExitCode;
            }
            if (outcome.Failed.Count > 0)
            {
                if (outcome.Trained.Count + outcome.Skipped.Count > 0) WriteReport(folder, console);
                string list = string.Join(", ", outcome.Failed.Select(id => $"{id} ({Path.Combine(folder, id, Run.RunFolder.FailedFile)})"));
                console.Error.WriteLine($"error: {outcome.Failed.Count} of {outcome.Failed.Count + outcome.Trained.Count + outcome.Skipped.Count + outcome.NotRun.Count} runs failed: {list}");
                return CommandLine.Failure;
            }
        }
        var states = GridRunner.Status(folder, lease);
        int done = states.Count(s => s.State == GridRunState.Done);
        if (done < states.Count && shard is not null)
        {
            // Other shards are still training: the last one to finish writes the report.
            console.Out.WriteLine($"grid {folder}: {done} of {states.Count} runs done; the report is written when the last shard finishes " +
                $"(or now, from what has finished: activations compare --report-only --out {ShellQuote.Quote(folder)})");
            return CommandLine.Ok;
        }
        return WriteReport(folder, console);
    }

    private static int PrintStatus(string folder, TimeSpan lease, Console2 console)
    {
        var states = GridRunner.Status(folder, lease);
        int Count(GridRunState s) => states.Count(x => x.State == s);
        console.Out.WriteLine($"grid {folder}: {states.Count} runs: {Count(GridRunState.Done)} done, {Count(GridRunState.Running)} running, " +
            $"{Count(GridRunState.Stale)} stale, {Count(GridRunState.Missing)} missing");
        int width = states.Max(s => s.Id.Length);
        foreach (var s in states.OrderBy(s => s.State))
        {
            string detail = s.Claim is { } c ? c.Describe() : "";
            if (s.Failure is not null) detail += (detail.Length > 0 ? "; " : "") + $"last attempt failed: {s.Failure}";
            console.Out.WriteLine($"  {s.State.ToString().ToLowerInvariant(),-8} {s.Id.PadRight(width)}  {detail}".TrimEnd());
        }
        return CommandLine.Ok;
    }

    private static int WriteReport(string folder, Console2 console)
    {
        // Workers finishing together would draw the same plots into the same files: one writes them.
        using var writer = RunClaim.TryAcquire(folder, RunClaim.DefaultLease, out var holder);
        if (writer is null)
        {
            console.Out.WriteLine($"report: being written by {holder.Describe()}");
            return CommandLine.Ok;
        }
        var report = StudyReport.FromGrid(folder);
        if (report.UnfinishedRuns.Count > 0)
            console.Out.WriteLine($"report: {report.Groups.Sum(g => g.Runs.Count)} of {report.Groups.Sum(g => g.Runs.Count) + report.UnfinishedRuns.Count} runs finished; " +
                $"missing: {string.Join(", ", report.UnfinishedRuns)}");
        foreach (var c in report.Configurations) console.Out.WriteLine($"  {c.Name}: n = {c.N}");
        if (report.Groups.Count == 0)
            throw new DataFormatException($"{folder}: no finished runs to report (every run of the grid lacks a {Run.RunFolder.DoneFile})");
        report.Write(folder);
        Plots.TrainingCurves(report, Path.Combine(folder, "curves.png"));
        Plots.FinalAccuracy(report, Path.Combine(folder, "accuracy.png"));
        bool confusion = Plots.ConfusionMatrices(report, Path.Combine(folder, "confusion.png")).Count > 0;
        console.Out.WriteLine($"report: {Path.Combine(folder, "report.md")} (plots: curves.png, accuracy.png{(confusion ? ", confusion.png" : "")})");
        return CommandLine.Ok;
    }

    public static int RunPlot(ParseResult p, Console2 console)
    {
        if (p.GetValue(PlotGrid) is { } grid)
        {
            if (!File.Exists(Path.Combine(grid, GridRunner.ManifestFile)))
                throw new UsageException($"--grid: {grid} has no {GridRunner.ManifestFile}");
            OptionValues.OutputFolder("--grid", grid);
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
        string outPath = p.GetValue(PlotOut)!;
        OptionValues.OutputFile("--out", outPath);
        using var device = Engine.Device.Create(OptionValues.Device("--device", p.GetValue(PlotDevice)));
        Plots.ActivationFunctions(device, curves, outPath);
        console.Out.WriteLine($"wrote {outPath} (values from the {device.Key} kernels)");
        return CommandLine.Ok;
    }
}
