// The IDX format of the MNIST files (http://yann.lecun.com/exdb/mnist/), raw or gzipped (detected
// by the gzip magic bytes 1f 8b, not by the file name).
//
//   magic   int32 big-endian: 0x00000803 images (u8, 3 dims), 0x00000801 labels (u8, 1 dim)
//   dims    one int32 big-endian per dimension: (count, rows, cols) or (count)
//   data    count·rows·cols bytes (row-major), or count label bytes
//
// Everything is checked before it is trusted: magic, dimensions (a huge declared size is refused
// before anything is allocated for it), the declared length against the actual length, labels in
// range, and — for a named data set's files — the SHA-256 of the decompressed content (or the .gz
// file's MD5 where only that is published). Every failure is a DataFormatException naming the file.
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

    /// <summary>Reads an image file, checked by <paramref name="check"/> (a data set's descriptor gives it; null: no check).</summary>
    public static IdxImages ReadImages(string path, FileCheck? check = null) =>
        ParseImages(ReadContent(path, check), path);

    /// <summary>Reads a label file; every label must be below <paramref name="classes"/>.</summary>
    public static byte[] ReadLabels(string path, FileCheck? check = null, int classes = 10) =>
        ParseLabels(ReadContent(path, check), path, classes);

    /// <summary>
    /// The file's bytes, gunzipped when they start with the gzip magic; checked against the content
    /// SHA-256 when <paramref name="check"/> has one, else against the .gz MD5 when the file is gzip.
    /// </summary>
    public static byte[] ReadContent(string path, FileCheck? check = null)
    {
        byte[] content;
        string? sha256 = check?.ContentSha256;
        try
        {
            if (InputFile.Problem(path, MaxContentBytes, "IDX file") is { } problem) throw new DataFormatException($"{path}: {problem}");
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            int b0 = file.ReadByte(), b1 = file.ReadByte();
            file.Position = 0;
            if (b0 == 0x1f && b1 == 0x8b)
            {
                if (sha256 is null && check?.GzipMd5 is { } md5)
                {
                    string actualMd5 = Convert.ToHexStringLower(MD5.HashData(file));
                    if (!string.Equals(actualMd5, md5, StringComparison.OrdinalIgnoreCase))
                        throw new DataFormatException($"{path}: MD5 of the .gz file is {actualMd5}, expected {md5.ToLowerInvariant()} (truncated or corrupt; delete it and fetch it again)");
                    file.Position = 0;
                }
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

    /// <summary>Parses the content of a label file; every label must be in 0..<paramref name="classes"/>−1.</summary>
    public static byte[] ParseLabels(byte[] content, string name, int classes = 10)
    {
        int count = Header(content, name, LabelsMagic, 1, "labels")[0];
        CheckLength(content, name, 8L + count, $"{count} labels");
        var labels = content.AsSpan(8, count).ToArray();
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= classes) throw new DataFormatException($"{name}: label {i} is {labels[i]}, outside 0..{classes - 1}");
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
