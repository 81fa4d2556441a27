// The official CIFAR-10 binary release (cifar-10-binary.tar.gz): data_batch_1..5.bin and
// test_batch.bin, each 10,000 records of 1 label byte + 3072 pixel bytes (the R, G and B planes of a
// 32×32 image, rows top to bottom). Read from a folder or straight from the archive, whose entries sit
// under cifar-10-batches-bin/. The pixel bytes are already (3, 32, 32), so a record is one copy.
namespace Activations.Training.Data;

public static class Cifar10Binary
{
    public const int RecordBytes = 1 + Cifar10Split.ImageBytes; // 3073
    public const int RecordsPerFile = 10_000;
    public const string ArchiveFolder = "cifar-10-batches-bin";

    public static readonly string[] TrainFiles = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
    public const string TestFile = "test_batch.bin";

    /// <summary>True when <paramref name="folder"/> (or its cifar-10-batches-bin/) holds data_batch_1.bin.</summary>
    public static bool IsBinaryFolder(string folder) => FindBatchFolder(folder) != null;

    /// <summary>
    /// Loads train (batches 1..5 in order) and test from a folder holding the six .bin files (directly or
    /// in cifar-10-batches-bin/) or from a .tar/.tar.gz holding them. Every file must hold exactly
    /// <paramref name="recordsPerFile"/> records (10,000 in the official release).
    /// </summary>
    public static (Cifar10Split Train, Cifar10Split Test) Load(string source, int recordsPerFile = RecordsPerFile)
    {
        var files = Directory.Exists(source) ? ReadFolder(source) : ReadArchive(source);
        var train = new Cifar10Split[TrainFiles.Length];
        for (int i = 0; i < TrainFiles.Length; i++) train[i] = Parse(files[TrainFiles[i]], files.Name(TrainFiles[i]), recordsPerFile);
        var test = Parse(files[TestFile], files.Name(TestFile), recordsPerFile);
        return (Concat(train), test);
    }

    /// <summary>Parses one batch file's bytes; <paramref name="name"/> is how errors name it.</summary>
    public static Cifar10Split Parse(ReadOnlySpan<byte> data, string name, int expectedRecords = RecordsPerFile)
    {
        if (data.Length % RecordBytes != 0)
            throw new DatasetException($"{name}: {data.Length} bytes is not a whole number of {RecordBytes}-byte records (truncated or not a CIFAR-10 batch)");
        int n = data.Length / RecordBytes;
        if (n != expectedRecords)
            throw new DatasetException($"{name}: holds {n} records, expected {expectedRecords}");
        var images = new byte[(long)n * Cifar10Split.ImageBytes];
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            var record = data.Slice(i * RecordBytes, RecordBytes);
            if (record[0] >= Cifar10Split.ClassCount)
                throw new DatasetException($"{name}: record {i} has label {record[0]}, expected 0..{Cifar10Split.ClassCount - 1}");
            labels[i] = record[0];
            record[1..].CopyTo(images.AsSpan(i * Cifar10Split.ImageBytes, Cifar10Split.ImageBytes));
        }
        return new Cifar10Split(images, labels);
    }

    static Cifar10Split Concat(Cifar10Split[] parts)
    {
        var images = new byte[parts.Sum(p => (long)p.Images.Length)];
        var labels = new byte[parts.Sum(p => p.Count)];
        int at = 0;
        foreach (var p in parts)
        {
            p.Images.CopyTo(images, (long)at * Cifar10Split.ImageBytes);
            p.Labels.CopyTo(labels, at);
            at += p.Count;
        }
        return new Cifar10Split(images, labels);
    }

    static string? FindBatchFolder(string folder)
    {
        foreach (var dir in new[] { folder, Path.Combine(folder, ArchiveFolder) })
            if (File.Exists(Path.Combine(dir, TrainFiles[0]))) return dir;
        return null;
    }

    static BatchFiles ReadFolder(string folder)
    {
        string dir = FindBatchFolder(folder) ?? folder;
        var files = new BatchFiles(dir);
        foreach (var f in TrainFiles.Append(TestFile))
        {
            string path = Path.Combine(dir, f);
            if (!File.Exists(path)) continue;
            if (InputFile.Problem(path, 1L << 30, "CIFAR-10 batch file") is { } problem) throw new DatasetException($"{path}: {problem}");
            try { files.Add(f, path, File.ReadAllBytes(path)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DatasetException($"{path}: cannot read: {e.Message}", e);
            }
        }
        return files;
    }

    // Takes the six files wherever they sit in the archive (normally cifar-10-batches-bin/).
    static BatchFiles ReadArchive(string path)
    {
        if (!File.Exists(path)) throw new DatasetException($"{path}: no such file or folder");
        var files = new BatchFiles(path);
        using var archive = TarArchive.Open(path);
        foreach (var entry in archive.Entries())
        {
            if (entry.Type != TarArchiveEntryType.File) continue;
            string file = entry.Name[(entry.Name.LastIndexOf('/') + 1)..];
            if (file == TestFile || TrainFiles.Contains(file)) files.Add(file, $"{path}:{entry.Name}", entry.ReadAllBytes());
        }
        return files;
    }

    sealed class BatchFiles(string source)
    {
        readonly Dictionary<string, (string Name, byte[] Data)> _files = [];

        public void Add(string file, string name, byte[] data) => _files[file] = (name, data);

        public string Name(string file) => _files[file].Name;

        public byte[] this[string file] => _files.TryGetValue(file, out var f) ? f.Data
            : throw new DatasetException($"{source}: {file} is missing (have: {(_files.Count == 0 ? "none of the CIFAR-10 batch files" : string.Join(", ", _files.Keys.Order()))})");
    }
}
