// CIFAR-10 as an image-folder tree — train/<class>/*.jpg|png and test/<class>/… — read from a folder or
// straight from a .tar/.tar.gz, decoded with ImageSharp to (3, 32, 32) uint8 planes. Class folders map
// to labels by the official order (airplane = 0 … truck = 9); any leading folder above train/ and test/
// is allowed. Every image must be 32×32.
//
// The bytes are read in one sequential pass (an archive can only be read that way), then decoded in
// parallel; the result is cached (Cifar10Cache) so later runs skip the decode. Images are ordered by
// (split, label, file name), whatever the order in the folder or archive.
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Activations.Training.Data;

public static class Cifar10ImageFolder
{
    /// <summary>Class folder names in label order 0..9.</summary>
    public static readonly string[] ClassNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    static readonly string[] Extensions = [".jpg", ".jpeg", ".png"];

    /// <summary>True when <paramref name="folder"/> has a train/ subfolder holding class folders.</summary>
    public static bool IsImageTree(string folder) =>
        Directory.Exists(Path.Combine(folder, "train")) && ClassNames.Any(c => Directory.Exists(Path.Combine(folder, "train", c)));

    /// <summary>
    /// Loads train and test from a folder or archive, from the cache when
    /// <see cref="Cifar10LoadOptions.CacheDirectory"/> is set and holds a valid entry for this source.
    /// </summary>
    public static (Cifar10Split Train, Cifar10Split Test) Load(string source, Cifar10LoadOptions? options = null)
    {
        options ??= new Cifar10LoadOptions();
        bool folder = Directory.Exists(source);
        if (!folder && !File.Exists(source)) throw new DatasetException($"{source}: no such file or folder");

        string? cachePath = null;
        if (options.CacheDirectory != null)
        {
            var clock = Stopwatch.StartNew();
            cachePath = Cifar10Cache.PathFor(options.CacheDirectory, CacheKey(source, folder, options));
            var cached = Cifar10Cache.TryRead(cachePath, out string reason);
            if (cached != null)
            {
                options.Log?.Invoke($"CIFAR-10: {cached.Value.Train.Count} + {cached.Value.Test.Count} images from cache {cachePath} ({clock.Elapsed.TotalSeconds:F2} s)");
                return cached.Value;
            }
            if (File.Exists(cachePath)) options.Log?.Invoke($"CIFAR-10: cache {cachePath} invalid ({reason}); rebuilding");
        }

        var total = Stopwatch.StartNew();
        var items = folder ? ReadFolder(source, options) : ReadArchive(source, options);
        double readSeconds = total.Elapsed.TotalSeconds;
        items.Sort((a, b) => a.Train != b.Train ? (a.Train ? -1 : 1) : a.Label != b.Label ? a.Label - b.Label : string.CompareOrdinal(a.Name, b.Name));
        var train = Decode(items.Where(i => i.Train).ToList(), options);
        var test = Decode(items.Where(i => !i.Train).ToList(), options);
        if (train.Count == 0 || test.Count == 0)
            throw new DatasetException($"{source}: found {train.Count} training and {test.Count} test images; expected train/<class>/*.jpg|png and test/<class>/…");
        options.Log?.Invoke($"CIFAR-10: decoded {train.Count} + {test.Count} images from {source} in {total.Elapsed.TotalSeconds:F1} s (reading {readSeconds:F1} s)");

        if (cachePath != null)
        {
            try
            {
                Cifar10Cache.Write(cachePath, train, test);
                options.Log?.Invoke($"CIFAR-10: cached to {cachePath}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                options.Log?.Invoke($"CIFAR-10: could not write cache {cachePath}: {e.Message}");
            }
        }
        return (train, test);
    }

    /// <summary>Decodes the given encoded images (in parallel) into one split, in list order.</summary>
    static Cifar10Split Decode(List<Item> items, Cifar10LoadOptions options)
    {
        var images = new byte[(long)items.Count * Cifar10Split.ImageBytes];
        var labels = new byte[items.Count];
        int firstError = int.MaxValue;
        Exception? error = null;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxDegreeOfParallelism) };
        Parallel.For(0, items.Count, parallel, (i, state) =>
        {
            try
            {
                ImageGuard.DecodePlanes(items[i].Bytes, items[i].Name, Cifar10Split.Width, Cifar10Split.Height,
                    images.AsSpan(i * Cifar10Split.ImageBytes, Cifar10Split.ImageBytes));
                labels[i] = (byte)items[i].Label;
            }
            catch (DatasetException e)
            {
                // Report the first bad file in order, so the message does not depend on thread timing.
                lock (items)
                {
                    if (i < firstError)
                    {
                        firstError = i;
                        error = e;
                    }
                }
                state.Stop();
            }
        });
        if (error != null) throw error;
        return new Cifar10Split(images, labels);
    }

    // An image's place in the tree, from the last three path parts: <split>/<class>/<file> (bytes filled in later).
    static Item? Classify(string relativePath, string displayName)
    {
        var parts = relativePath.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3 || !Extensions.Contains(Path.GetExtension(parts[^1]), StringComparer.OrdinalIgnoreCase)) return null;
        bool train = parts[^3] == "train";
        if (!train && parts[^3] != "test") return null;
        int label = Array.IndexOf(ClassNames, parts[^2]);
        if (label < 0)
            throw new DatasetException($"{displayName}: unknown class folder '{parts[^2]}' (expected one of {string.Join(", ", ClassNames)})");
        return new Item(train, label, displayName, []);
    }

    static List<Item> ReadFolder(string root, Cifar10LoadOptions options)
    {
        var items = new List<Item>();
        foreach (var split in new[] { "train", "test" })
        {
            string dir = Path.Combine(root, split);
            if (!Directory.Exists(dir)) throw new DatasetException($"{root}: no {split}/ folder (expected train/<class>/*.jpg|png and test/<class>/…)");
            int? limit = split == "train" ? options.MaxTrainPerClass : options.MaxTestPerClass;
            foreach (var classDir in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
            {
                int taken = 0;
                foreach (var file in Directory.GetFiles(classDir).Order(StringComparer.Ordinal))
                {
                    if (taken == limit) break;
                    string relative = Path.GetRelativePath(root, file);
                    if (Classify(relative, file) is not { } probe) continue;
                    byte[] bytes;
                    if (InputFile.Problem(file, 64L << 20, "image") is { } problem) throw new DatasetException($"{file}: {problem}");
                    try { bytes = File.ReadAllBytes(file); }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        throw new DatasetException($"{file}: cannot read: {e.Message}", e);
                    }
                    items.Add(probe with { Bytes = bytes });
                    taken++;
                }
            }
        }
        return items;
    }

    static List<Item> ReadArchive(string path, Cifar10LoadOptions options)
    {
        var items = new List<Item>();
        var taken = new int[2, ClassNames.Length];
        using var archive = TarArchive.Open(path);
        foreach (var entry in archive.Entries())
        {
            if (entry.Type != TarArchiveEntryType.File) continue;
            if (Classify(entry.Name, $"{path}:{entry.Name}") is not { } probe) continue;
            int split = probe.Train ? 0 : 1;
            int? limit = probe.Train ? options.MaxTrainPerClass : options.MaxTestPerClass;
            if (taken[split, probe.Label] == limit) continue;
            taken[split, probe.Label]++;
            items.Add(probe with { Bytes = entry.ReadAllBytes() });
        }
        return items;
    }

    // SHA-256 over the reader version, the subset options and the source: an archive's bytes, or a
    // folder's listing (relative path, size, modification time) — re-hashing 60,000 files would cost
    // nearly as much as decoding them.
    static string CacheKey(string source, bool folder, Cifar10LoadOptions options)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"cifar10-imagefolder v1|train≤{options.MaxTrainPerClass}|test≤{options.MaxTestPerClass}|"));
        if (folder)
        {
            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var info = new FileInfo(file);
                sha.AppendData(Encoding.UTF8.GetBytes($"{Path.GetRelativePath(source, file)}|{info.Length}|{info.LastWriteTimeUtc.Ticks}\n"));
            }
        }
        else
        {
            try
            {
                using var f = File.OpenRead(source);
                sha.AppendData(SHA256.HashData(f));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DatasetException($"{source}: cannot read: {e.Message}", e);
            }
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    sealed record Item(bool Train, int Label, string Name, byte[] Bytes);
}
