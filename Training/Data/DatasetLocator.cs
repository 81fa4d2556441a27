// Where data sets live, and how missing files get there.
//
// Data folder: `--data DIR`, else $DATASETS_DIR, else datasets/ in the repository root (the folder
// holding Activations.sln, found by walking up from the app's folder, then from the working
// directory), else the per-user data folder ($XDG_DATA_HOME/activations, ~/.local/share/activations
// on Linux, %LOCALAPPDATA%\activations on Windows), where an installed tool keeps its data. Files sit at <data>/<dataset>/<file>, e.g. datasets/mnist/….gz.
//
// A missing file is copied from a local mirror when one is configured (`--mirror DIR`, else
// $DATASETS_MIRROR; same layout: <mirror>/mnist/<file>.gz, or the files at its root when it has no
// such folder), else from the set's system folder (a
// distribution package's copy, e.g. /usr/share/datasets/fashion-mnist), otherwise downloaded from the
// set's official URLs (IdxDatasets) with a progress display. Copies and downloads are checked against
// the set's FileCheck (decompressed SHA-256, or the .gz MD5) before they are moved into place; copies and downloads
// are written to a temporary file and renamed, so an interrupted fetch leaves nothing half-written.
// When nothing works, one line says what failed and where to put the files by hand.
using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Activations.Training.Data;

/// <summary>A data set's files are missing and could not be copied or downloaded.</summary>
public sealed class DatasetUnavailableException(string message) : Exception(message);

public sealed class DatasetLocator
{
    /// <summary>The four files of an IDX data set as published (gzipped).</summary>
    public static IReadOnlyList<string> IdxFiles { get; } = IdxDataset.FileNames.Select(n => n + ".gz").ToArray();

    /// <summary>The data folder (absolute).</summary>
    public string DataRoot { get; }

    /// <summary>The local mirror folder, or null.</summary>
    public string? Mirror { get; }

    /// <summary>Download base URLs, tried in order; null: the data set's own (tests substitute unreachable ones).</summary>
    public IReadOnlyList<string>? DownloadUrls { get; init; }

    /// <summary>Whether a data set's system folder (a packaged copy) is used; off for callers passing their own environment (tests).</summary>
    public bool SystemFolders { get; init; }

    /// <summary>The handler downloads go through (tests inject one).</summary>
    public HttpMessageHandler? HttpHandler { get; init; }

    /// <summary>Where progress and notes go (null: nowhere).</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Draw the download progress in place (\r) — only on a terminal.</summary>
    public bool LiveProgress { get; init; }

    public DatasetLocator(string? dataOption = null, string? mirrorOption = null, Func<string, string?>? environment = null)
    {
        var env = environment ?? Environment.GetEnvironmentVariable;
        DataRoot = ResolveDataRoot(dataOption, env);
        // The shared folder beside the repository is a default of the real environment only, so that
        // callers passing their own environment (tests) see exactly the mirror they asked for.
        Mirror = ResolveMirror(mirrorOption, env, besideRepository: environment is null);
        SystemFolders = environment is null;
    }

    /// <summary>--data, else $DATASETS_DIR, else &lt;repo root&gt;/datasets, else <see cref="UserDataRoot"/>.</summary>
    public static string ResolveDataRoot(string? option, Func<string, string?> env)
    {
        if (!string.IsNullOrWhiteSpace(option)) return Path.GetFullPath(option);
        var fromEnv = env("DATASETS_DIR");
        if (!string.IsNullOrWhiteSpace(fromEnv)) return Path.GetFullPath(fromEnv);
        var root = FindRepositoryRoot();
        return root is null ? UserDataRoot(env) : Path.GetFullPath(Path.Combine(root, "datasets"));
    }

    /// <summary>The per-user data folder: $XDG_DATA_HOME/activations, else the platform's local application data folder + activations.</summary>
    public static string UserDataRoot(Func<string, string?> env)
    {
        var xdg = env("XDG_DATA_HOME");
        string baseDir = !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        return Path.GetFullPath(Path.Combine(baseDir, "activations"));
    }

    /// <summary>
    /// --mirror, else $DATASETS_MIRROR (a relative path is taken from the working directory, then the
    /// repository root), else a read-only shared/datasets folder beside the repository when there is one
    /// (these project machines keep their data there).
    /// </summary>
    public static string? ResolveMirror(string? option, Func<string, string?> env, bool besideRepository = false)
    {
        string? m = !string.IsNullOrWhiteSpace(option) ? option : env("DATASETS_MIRROR");
        if (string.IsNullOrWhiteSpace(m))
        {
            if (!besideRepository) return null;
            var repo = FindRepositoryRoot();
            var beside = repo is null ? null : Path.GetFullPath(Path.Combine(repo, "..", "shared", "datasets"));
            return beside is not null && Directory.Exists(beside) ? beside : null;
        }
        if (Path.IsPathRooted(m) || Directory.Exists(m)) return Path.GetFullPath(m);
        var root = FindRepositoryRoot();
        if (root is not null && Directory.Exists(Path.Combine(root, m))) return Path.GetFullPath(Path.Combine(root, m));
        return Path.GetFullPath(m);
    }

    /// <summary>The folder holding Activations.sln above the app's folder or the working directory, or null.</summary>
    public static string? FindRepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Activations.sln"))) return dir.FullName;
        }
        return null;
    }

    /// <summary>Makes sure the four MNIST files are in &lt;data&gt;/mnist; returns that folder.</summary>
    public string EnsureMnist() => EnsureIdx(IdxDatasets.Mnist);

    /// <summary>Makes sure the four files of <paramref name="set"/> are in &lt;data&gt;/&lt;its folder&gt;; returns that folder.</summary>
    public string EnsureIdx(IdxDataset set)
    {
        string folder = Path.Combine(DataRoot, set.Folder);
        foreach (var file in IdxFiles)
        {
            // An uncompressed copy (as many tutorials leave them) is used as it is; MnistDataset reads either.
            if (File.Exists(Path.Combine(folder, file)) || File.Exists(Path.Combine(folder, Path.GetFileNameWithoutExtension(file)))) continue;
            EnsureFile(set.Folder, file, set.CheckFor(file), set.Urls, set.SystemFolder);
        }
        return folder;
    }

    /// <summary>The CIFAR-10 files this app can read, most preferred first.</summary>
    public static IReadOnlyList<string> Cifar10Sources { get; } = ["cifar-10-binary.tar.gz", "cifar10-jpeg.tar.gz"];

    /// <summary>The official binary release.</summary>
    public static string Cifar10Url { get; } = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";

    /// <summary>
    /// Makes sure a CIFAR-10 source is in &lt;data&gt;/cifar10 and returns it: an archive listed in
    /// <see cref="Cifar10Sources"/>, an extracted folder (cifar-10-batches-bin, or train/ and test/), else
    /// a copy from the mirror (its root or its cifar10/ folder), else a download of the official binary release.
    /// </summary>
    public string EnsureCifar10()
    {
        string folder = Path.Combine(DataRoot, "cifar10");
        foreach (var name in Cifar10Sources)
            if (File.Exists(Path.Combine(folder, name))) return Path.Combine(folder, name);
        if (Directory.Exists(Path.Combine(folder, "cifar-10-batches-bin"))) return Path.Combine(folder, "cifar-10-batches-bin");
        if (Directory.Exists(Path.Combine(folder, "train")) && Directory.Exists(Path.Combine(folder, "test"))) return folder;
        if (Mirror is not null)
        {
            foreach (var name in Cifar10Sources)
            {
                foreach (var source in new[] { Path.Combine(Mirror, name), Path.Combine(Mirror, "cifar10", name) })
                {
                    if (File.Exists(source))
                    {
                        CopyFromMirror(source, Path.Combine(folder, name));
                        return Path.Combine(folder, name);
                    }
                }
            }
        }
        try
        {
            CreateFolder(folder);
            string target = Path.Combine(folder, Cifar10Sources[0]);
            Download(Cifar10Url, target, null);
            return target;
        }
        catch (DownloadFailedException e)
        {
            throw new DatasetUnavailableException(
                $"cifar10 is missing and could not be fetched ({Cifar10Url}: {e.Message}); put cifar-10-binary.tar.gz " +
                $"(or an image tree train/<class>/*.jpg, test/<class>/*.jpg) in {folder}{Path.DirectorySeparatorChar} by hand, " +
                "or point DATASETS_MIRROR (or --mirror) at a folder holding it");
        }
    }

    /// <summary>
    /// Makes sure &lt;data&gt;/&lt;dataset&gt;/&lt;file&gt; exists: copy from the mirror, else from
    /// <paramref name="systemFolder"/>, else download from <paramref name="urls"/> (default: MNIST's).
    /// </summary>
    public string EnsureFile(string dataset, string file, FileCheck? check, IReadOnlyList<string>? urls = null, string? systemFolder = null)
    {
        check ??= FileCheck.None;
        string folder = Path.Combine(DataRoot, dataset);
        string target = Path.Combine(folder, file);
        if (File.Exists(target)) return target;
        if (Directory.Exists(target)) throw new DataFormatException($"{target}: is a directory, not a data file");
        var failures = new List<string>();
        if (Mirror is not null)
        {
            string source = Path.Combine(Mirror, dataset, file);
            // A mirror that is itself one set's folder (e.g. --mirror /usr/share/datasets/fashion-mnist) is read at its root; the checks tell sets apart.
            if (!Directory.Exists(Path.Combine(Mirror, dataset)) && File.Exists(Path.Combine(Mirror, file))) source = Path.Combine(Mirror, file);
            if (!File.Exists(source)) failures.Add($"mirror {Mirror} has no {dataset}/{file}");
            else if (CopyFromMirror(source, target, check) is { } bad) failures.Add($"mirror {source}: {bad}: the mirror's copy is corrupt");
            else return target;
        }
        if (SystemFolders && systemFolder is not null && File.Exists(Path.Combine(systemFolder, file)))
        {
            string source = Path.Combine(systemFolder, file);
            if (CopyFromMirror(source, target, check) is { } bad) failures.Add($"{source}: {bad}: the packaged copy is corrupt");
            else return target;
        }
        foreach (var baseUrl in DownloadUrls ?? urls ?? IdxDatasets.Mnist.Urls)
        {
            string url = baseUrl.TrimEnd('/') + "/" + file;
            try
            {
                CreateFolder(folder);
                Download(url, target, check);
                return target;
            }
            catch (DownloadFailedException e)
            {
                failures.Add($"{url}: {e.Message}");
            }
        }
        throw new DatasetUnavailableException(
            $"{dataset}/{file} is missing and could not be fetched ({string.Join("; ", failures)}); " +
            $"put the files in {folder}{Path.DirectorySeparatorChar} by hand, or point DATASETS_MIRROR (or --mirror) at a folder holding {dataset}/{file}");
    }

    /// <summary>
    /// Copies a mirror file into the data folder atomically (temporary name, then rename), checking the
    /// copy against <paramref name="check"/> first; returns why a copy was not kept, or null.
    /// </summary>
    private string? CopyFromMirror(string source, string target, FileCheck? check = null)
    {
        CreateFolder(Path.GetDirectoryName(target)!);
        try
        {
            AtomicFile.Copy(source, target, flushToDisk: false, check: tmp =>
            {
                if (ContentProblem(tmp, check) is { } bad) throw new CopyRejectedException(bad);
            });
        }
        catch (CopyRejectedException e)
        {
            return e.Message;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetUnavailableException($"cannot copy {source} to {target}: {e.Message}");
        }
        Log?.WriteLine($"copied {Path.GetFileName(target)} from {Path.GetDirectoryName(source)}");
        return null;
    }

    private sealed class DownloadFailedException(string message) : Exception(message);

    /// <summary>A copied file whose content did not match its hash; the copy is not kept.</summary>
    private sealed class CopyRejectedException(string message) : Exception(message);

    private void Download(string url, string target, FileCheck? check)
    {
        try
        {
            var handler = HttpHandler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) };
            using var client = new HttpClient(handler, disposeHandler: HttpHandler is null) { Timeout = TimeSpan.FromMinutes(5) };
            using var response = client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult();
            if (!response.IsSuccessStatusCode)
                throw new DownloadFailedException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            long? total = response.Content.Headers.ContentLength;
            string name = Path.GetFileName(target);
            AtomicFile.Write(target, file =>
            {
                using var body = response.Content.ReadAsStream();
                var buffer = new byte[1 << 16];
                long done = 0;
                var sw = Stopwatch.StartNew();
                long lastDraw = -1;
                int n;
                while ((n = body.Read(buffer, 0, buffer.Length)) > 0)
                {
                    file.Write(buffer, 0, n);
                    done += n;
                    if (LiveProgress && sw.ElapsedMilliseconds - lastDraw >= 200)
                    {
                        lastDraw = sw.ElapsedMilliseconds;
                        string pct = total > 0 ? $"{100.0 * done / total.Value,5:F1}%" : "";
                        Log?.Write($"\rdownloading {name} {pct} {done / 1e6:F1} MB");
                    }
                }
                if (LiveProgress) Log?.Write("\r");
                Log?.WriteLine($"downloaded {name} ({done / 1e6:F1} MB) from {url}");
            }, flushToDisk: true, check: check is null || check.IsNone ? null : tmp =>
            {
                if (ContentProblem(tmp, check) is { } bad) throw new DownloadFailedException($"downloaded file: {bad}");
            });
        }
        catch (HttpRequestException e) { throw new DownloadFailedException(OneLine(e)); }
        catch (TaskCanceledException) { throw new DownloadFailedException("timed out"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new DownloadFailedException(OneLine(e));
        }
    }

    /// <summary>
    /// Why <paramref name="path"/> fails <paramref name="check"/> — the SHA-256 of its content (gunzipped
    /// if gzip), else the MD5 of the .gz file itself — or null when it passes or nothing is checked.
    /// </summary>
    private static string? ContentProblem(string path, FileCheck? check)
    {
        if (check is null || check.IsNone) return null;
        try
        {
            using var file = File.OpenRead(path);
            int b0 = file.ReadByte(), b1 = file.ReadByte();
            file.Position = 0;
            bool gzip = b0 == 0x1f && b1 == 0x8b;
            if (check.ContentSha256 is { } expected)
            {
                using Stream content = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
                string actual = Convert.ToHexStringLower(SHA256.HashData(content));
                return string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase) ? null : $"its content has SHA-256 {actual}, expected {expected.ToLowerInvariant()}";
            }
            // Only the .gz's MD5 is published: an uncompressed copy cannot be checked here (the IDX reader still checks its structure).
            if (!gzip) return null;
            string md5 = Convert.ToHexStringLower(MD5.HashData(file));
            return string.Equals(md5, check.GzipMd5, StringComparison.OrdinalIgnoreCase) ? null : $"the .gz file has MD5 {md5}, expected {check.GzipMd5!.ToLowerInvariant()}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return $"its content cannot be read ({e.Message.ReplaceLineEndings(" ")})";
        }
    }

    private static string OneLine(Exception e)
    {
        string m = e.Message;
        if (e.InnerException is { } inner && !m.Contains(inner.Message)) m += $" ({inner.Message})";
        return m.ReplaceLineEndings(" ");
    }

    private static void CreateFolder(string folder)
    {
        try { Directory.CreateDirectory(folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetUnavailableException($"cannot create the data folder {folder}: {e.Message}");
        }
    }
}
