// A user's activation from one C# file of their own: `--activation ./mish.cs` or
// `--activations relu,./mine.cs:0.5`. The file is compiled with Roslyn into a collectible in-memory
// assembly that references the Kernels assembly, its one IActivation struct is registered in the
// catalog, and from then on it is a name like any built-in (ILGPU compiles it the same way). The
// command line is rewritten here, before parsing, so that no command needs to know about files.
using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using Activations.Kernels.Activations;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Activations.Training.Cli;

/// <summary>Compiles and registers activation files named on the command line.</summary>
public static class ActivationFile
{
    /// <summary>The options whose values are activation names (comma-separated for the plural).</summary>
    private static readonly string[] NameOptions = ["--activation", "--activations"];

    /// <summary>The usings every file gets, so that a file needs none of its own.</summary>
    private const string GlobalUsings = "global using System;\nglobal using System.Collections.Generic;\nglobal using Activations.Kernels;\nglobal using Activations.Kernels.Activations;\n";

    private static readonly object Gate = new();

    // One registration per file content, so that a process (the tests) may name the same file twice.
    private static readonly Dictionary<string, ActivationInfo> Loaded = new();

    /// <summary>Whether a name on the command line is a file rather than an activation's name.</summary>
    public static bool IsFile(string name) => name.Trim().EndsWith(".cs", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// <paramref name="args"/> with every activation file (in the values of --activation and
    /// --activations, also after a ':' α) compiled, registered and replaced by its activation's name.
    /// Throws <see cref="UsageException"/> naming the file on a compile error or a broken contract.
    /// </summary>
    public static string[] Resolve(string[] args)
    {
        var result = (string[])args.Clone();
        for (int i = 0; i < result.Length; i++)
        {
            string arg = result[i];
            foreach (string option in NameOptions)
            {
                if (arg == option && i + 1 < result.Length) result[i + 1] = ResolveList(result[i + 1]);
                else if (arg.StartsWith(option + "=", StringComparison.Ordinal)) result[i] = option + "=" + ResolveList(arg[(option.Length + 1)..]);
            }
        }
        return result;
    }

    private static string ResolveList(string csv) =>
        string.Join(",", csv.Split(',').Select(entry =>
        {
            // "path.cs" or "path.cs:α" (the grid's name:α form).
            int end = entry.IndexOf(".cs", StringComparison.OrdinalIgnoreCase);
            while (end >= 0 && end + 3 < entry.Length && entry[end + 3] != ':') end = entry.IndexOf(".cs", end + 1, StringComparison.OrdinalIgnoreCase);
            if (end < 0) return entry;
            return Load(entry[..(end + 3)].Trim()).Name + entry[(end + 3)..];
        }));

    /// <summary>Compiles <paramref name="path"/> and registers its activation (once per content); returns its entry.</summary>
    public static ActivationInfo Load(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"{path}: no such activation file");
        string source = File.ReadAllText(path);
        string key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(path) + "\n" + source)));
        lock (Gate)
        {
            if (Loaded.TryGetValue(key, out var known)) return known;
            var type = Compile(path, source);
            var info = Register(path, type);
            Loaded[key] = info;
            return info;
        }
    }

    private static Type Compile(string path, string source)
    {
        var options = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);
        var trees = new[]
        {
            CSharpSyntaxTree.ParseText(source, options, path, Encoding.UTF8),
            CSharpSyntaxTree.ParseText(GlobalUsings, options, "<usings>", Encoding.UTF8),
        };
        var compilation = CSharpCompilation.Create(
            "UserActivation_" + Path.GetFileNameWithoutExtension(path) + "_" + Guid.NewGuid().ToString("N")[..8],
            trees, References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: false));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        if (!emitted.Success) throw new UsageException(CompileError(path, trees[0], emitted.Diagnostics));
        image.Position = 0;
        var context = new AssemblyLoadContext("activation " + path, isCollectible: true);
        var assembly = context.LoadFromStream(image);
        var structs = assembly.GetTypes().Where(t => t.IsValueType && typeof(IActivation).IsAssignableFrom(t)).ToList();
        if (structs.Count == 0)
            throw new UsageException($"{path}: no struct implements IActivation (write `public readonly struct Mine : IActivation` with Name, Formula, Parameters and Forward<T>)");
        if (structs.Count > 1)
            throw new UsageException($"{path}: {structs.Count} structs implement IActivation ({string.Join(", ", structs.Select(t => t.Name))}); one file defines one activation");
        if (!structs[0].IsPublic)
            throw new UsageException($"{path}: struct {structs[0].Name} must be public");
        return structs[0];
    }

    // Syntax errors first (they cause the rest); a struct missing interface members says all it misses at once.
    private static string CompileError(string path, SyntaxTree tree, IEnumerable<Diagnostic> diagnostics)
    {
        var errors = tree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count == 0) errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        errors = errors.OrderBy(d => d.Location.SourceSpan.Start).ToList();
        static string Where(string path, Diagnostic d)
        {
            var at = d.Location.GetLineSpan().StartLinePosition;
            return $"{path}:{at.Line + 1}:{at.Character + 1}";
        }
        var missing = errors.Where(d => d.Id == "CS0535").ToList();
        if (missing.Count == errors.Count)
        {
            var members = missing.Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).Select(m => m[(m.IndexOf("member '", StringComparison.Ordinal) + 8)..].TrimEnd('\''));
            return $"{Where(path, missing[0])}: the struct does not implement {string.Join(", ", members)}";
        }
        int more = errors.Count - 1;
        return $"{Where(path, errors[0])}: {errors[0].Id}: {errors[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture)}{(more > 0 ? $" (and {more} more error{(more > 1 ? "s" : "")})" : "")}";
    }

    private static ActivationInfo Register(string path, Type type)
    {
        string name;
        try { name = ActivationInfo.Of(type).Name; }
        catch (Exception e) when (e is ArgumentException or TargetInvocationException or TypeInitializationException)
        {
            throw new UsageException($"{path}: {Why(e)}");
        }
        if (ActivationCatalog.BuiltIn.Any(a => a.Name == name || a.Aliases.Contains(name)))
            throw new UsageException($"{path}: '{name}' is the name of a built-in activation; give {type.Name}.Name another value");
        try { return ActivationCatalog.Register(type); }
        catch (ArgumentException e) { throw new UsageException($"{path}: {Why(e)} (loaded from another file)"); }
    }

    private static string Why(Exception e)
    {
        while (e.InnerException is not null && e is TargetInvocationException or TypeInitializationException) e = e.InnerException;
        return e.Message.ReplaceLineEndings(" ");
    }

    // The assemblies the running app was built from (the trusted platform list of `dotnet run` and of
    // a self-contained publish alike), so that a user's file sees exactly the types this process has.
    private static List<MetadataReference> References()
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string tpa)
            foreach (string p in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)) paths.Add(p);
        foreach (var a in AppDomain.CurrentDomain.GetAssemblies())
            if (!a.IsDynamic && a.Location.Length > 0) paths.Add(a.Location);
        string kernels = typeof(IActivation).Assembly.Location;
        if (kernels.Length == 0)
            throw new UsageException("activation files need the app's assemblies on disk; this build is a single file (publish without PublishSingleFile)");
        paths.Add(kernels);
        return paths.Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && File.Exists(p))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
    }
}
