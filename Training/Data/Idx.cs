// The IDX format of the MNIST files (http://yann.lecun.com/exdb/mnist/), raw or gzipped (detected
// by the gzip magic bytes 1f 8b, not by the file name).
//
//   magic   int32 big-endian: 0x00000803 images (u8, 3 dims), 0x00000801 labels (u8, 1 dim)
//   dims    one int32 big-endian per dimension: (count, rows, cols) or (count)
//   data    count·rows·cols bytes (row-major), or count label bytes
//
// Everything is checked before it is trusted: magic, dimensions (a huge declared size is refused
// before anything is allocated for it), the declared length against the actual length, labels in
// 0..9, and — for the four official files — the SHA-256 of the decompressed content. Every failure
// is a DataFormatException naming the file.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Activations.Training.Data;

/// <summary>Images of an IDX file: <see cref="Count"/> images of Rows×Cols bytes, row-major.</summary>
public sealed record IdxImages(int Count, int Rows, int Cols, byte[] Pixels)
{
    public int ImageSize => Rows * Cols;
}

public static class Idx
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>The largest decompressed file accepted (MNIST's largest is 47 MB).</summary>
    public const long MaxContentBytes = 512L << 20;

    /// <summary>The largest image side accepted.</summary>
    public const int MaxSide = 4096;

    /// <summary>SHA-256 of the decompressed official MNIST files, by name without ".gz".</summary>
    public static IReadOnlyDictionary<string, string> KnownSha256 { get; } = new Dictionary<string, string>
    {
        ["train-images-idx3-ubyte"] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        ["train-labels-idx1-ubyte"] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ["t10k-images-idx3-ubyte"] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ["t10k-labels-idx1-ubyte"] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    };

    /// <summary>The known hash for a file name such as "train-images-idx3-ubyte.gz", or null.</summary>
    public static string? ExpectedSha256(string path)
    {
        string name = Path.GetFileName(path);
        if (name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) name = name[..^3];
        return KnownSha256.TryGetValue(name, out var h) ? h : null;
    }

    /// <summary>Reads an image file; checks its hash against <paramref name="sha256"/> (default: the known one, if any).</summary>
    public static IdxImages ReadImages(string path, string? sha256 = null) =>
        ParseImages(ReadContent(path, sha256 ?? ExpectedSha256(path)), path);

    /// <summary>Reads a label file (every label in 0..9).</summary>
    public static byte[] ReadLabels(string path, string? sha256 = null) =>
        ParseLabels(ReadContent(path, sha256 ?? ExpectedSha256(path)), path);

    /// <summary>The file's bytes, gunzipped when they start with the gzip magic; hash-checked when <paramref name="sha256"/> is given.</summary>
    public static byte[] ReadContent(string path, string? sha256 = null)
    {
        byte[] content;
        try
        {
            if (InputFile.Problem(path, MaxContentBytes, "IDX file") is { } problem) throw new DataFormatException($"{path}: {problem}");
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            int b0 = file.ReadByte(), b1 = file.ReadByte();
            file.Position = 0;
            if (b0 == 0x1f && b1 == 0x8b)
            {
                using var gz = new GZipStream(file, CompressionMode.Decompress);
                content = ReadBounded(gz, path);
            }
            else
            {
                if (file.Length > MaxContentBytes)
                    throw new DataFormatException($"{path}: {file.Length} bytes is larger than any IDX file this app reads ({MaxContentBytes >> 20} MiB)");
                content = ReadBounded(file, path);
            }
        }
        catch (DataFormatException) { throw; }
        // .NET reports a CRC-32 mismatch as "unsupported compression method": say what it means.
        catch (InvalidDataException e) { throw new DataFormatException($"{path}: corrupt gzip data (a checksum or the compressed stream is wrong); delete it and fetch it again", e); }
        catch (EndOfStreamException e) { throw new DataFormatException($"{path}: the gzip stream is truncated", e); }
        catch (UnauthorizedAccessException e) { throw new DataFormatException($"{path}: cannot be read ({e.Message})", e); }
        catch (IOException e) { throw new DataFormatException($"{path}: cannot be read ({e.Message})", e); }
        if (content.Length == 0) throw new DataFormatException($"{path}: decompresses to nothing");
        if (sha256 is not null)
        {
            string actual = Convert.ToHexStringLower(SHA256.HashData(content));
            if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
                throw new DataFormatException(
                    $"{path}: SHA-256 of the decompressed content is {actual}, expected {sha256.ToLowerInvariant()} (truncated or corrupt; delete it and fetch it again)");
        }
        return content;
    }

    private static byte[] ReadBounded(Stream s, string path)
    {
        using var ms = new MemoryStream();
        var buffer = new byte[1 << 16];
        int n;
        while ((n = s.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (ms.Length + n > MaxContentBytes)
                throw new DataFormatException($"{path}: decompresses to more than {MaxContentBytes >> 20} MiB, larger than any IDX file this app reads");
            ms.Write(buffer, 0, n);
        }
        return ms.ToArray();
    }

    /// <summary>Parses the content of an image file named <paramref name="name"/> (for messages).</summary>
    public static IdxImages ParseImages(byte[] content, string name)
    {
        var dims = Header(content, name, ImagesMagic, 3, "images");
        int count = dims[0], rows = dims[1], cols = dims[2];
        if (rows <= 0 || cols <= 0 || rows > MaxSide || cols > MaxSide)
            throw new DataFormatException($"{name}: image size {rows}×{cols} is out of range (1..{MaxSide} per side)");
        long expected = 16L + (long)count * rows * cols;
        CheckLength(content, name, expected, $"{count} images of {rows}×{cols}");
        var pixels = content.AsSpan(16, count * rows * cols).ToArray();
        return new IdxImages(count, rows, cols, pixels);
    }

    /// <summary>Parses the content of a label file; every label must be in 0..9.</summary>
    public static byte[] ParseLabels(byte[] content, string name)
    {
        int count = Header(content, name, LabelsMagic, 1, "labels")[0];
        CheckLength(content, name, 8L + count, $"{count} labels");
        var labels = content.AsSpan(8, count).ToArray();
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] > 9) throw new DataFormatException($"{name}: label {i} is {labels[i]}, outside 0..9");
        return labels;
    }

    private static int[] Header(byte[] content, string name, int magic, int rank, string what)
    {
        if (content.Length < 4)
            throw new DataFormatException($"{name}: {content.Length} bytes is too short for an IDX {what} header ({4 + 4 * rank} bytes)");
        int actual = BinaryPrimitives.ReadInt32BigEndian(content);
        if (actual != magic)
        {
            string hint = actual == (magic ^ ImagesMagic ^ LabelsMagic) ? $" (an IDX {(what == "images" ? "labels" : "images")} file?)" : "";
            throw new DataFormatException($"{name}: magic number 0x{actual:x8}, expected 0x{magic:x8} for IDX {what}{hint}");
        }
        if (content.Length < 4 + 4 * rank)
            throw new DataFormatException($"{name}: {content.Length} bytes is too short for an IDX {what} header ({4 + 4 * rank} bytes)");
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(4 + 4 * i));
            if (dims[i] < 0) throw new DataFormatException($"{name}: dimension {i} is negative ({dims[i]})");
        }
        if (dims[0] == 0) throw new DataFormatException($"{name}: declares 0 {what}");
        return dims;
    }

    private static void CheckLength(byte[] content, string name, long expected, string declared)
    {
        if (expected > MaxContentBytes)
            throw new DataFormatException($"{name}: declares {declared} ({expected} bytes), larger than any IDX file this app reads");
        if (content.Length < expected)
            throw new DataFormatException($"{name}: truncated: declares {declared} ({expected} bytes) but holds {content.Length} bytes");
        if (content.Length > expected)
            throw new DataFormatException($"{name}: declares {declared} ({expected} bytes) but holds {content.Length} bytes (trailing data)");
    }
}
