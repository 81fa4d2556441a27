// The cache of a decoded CIFAR-10 image tree: one file, <data dir>/cifar10-cache/<key>.u8, where the key
// is a SHA-256 over the source (its bytes for an archive, its listing for a folder) and the load options.
// Decoding 60,000 JPEGs takes most of a minute on two cores; reading this file takes a fraction of a second.
//
// Layout (little-endian):
//   0  magic "C10CACHE"            8 bytes
//   8  version                     int32 (1)
//  12  train count, test count     int32, int32
//  20  bytes per image (3072)      int32
//  24  SHA-256 of the payload      32 bytes
//  56  zero padding to 64
//  64  payload: train labels (N), train images (N, 3, 32, 32), test labels (M), test images (M, 3, 32, 32)
// It is written to a temporary file and renamed into place, so a reader never sees half a file; on load
// the length, header and payload hash are checked, and a file that fails any check is rebuilt.
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Activations.Training.Data;

public static class Cifar10Cache
{
    public const string FolderName = "cifar10-cache";
    const int Version = 1;
    const int HeaderBytes = 64;
    static ReadOnlySpan<byte> Magic => "C10CACHE"u8;

    /// <summary>The cache file for a key inside a data folder.</summary>
    public static string PathFor(string dataDirectory, string key) => Path.Combine(dataDirectory, FolderName, key + ".u8");

    /// <summary>Writes atomically: a temporary file in the same folder, then a rename over the final name.</summary>
    public static void Write(string path, Cifar10Split train, Cifar10Split test)
    {
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), Version);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), train.Count);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), test.Count);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(20), Cifar10Split.ImageBytes);
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            foreach (var part in Payload(train, test)) sha.AppendData(part);
            sha.GetHashAndReset().CopyTo(header, 24);
        }
        AtomicFile.Write(path, f =>
        {
            f.Write(header);
            foreach (var part in Payload(train, test)) f.Write(part);
        }, flushToDisk: false);
    }

    /// <summary>Reads and validates a cache file; null (with the reason) when it is missing or invalid.</summary>
    public static (Cifar10Split Train, Cifar10Split Test)? TryRead(string path, out string reason)
    {
        if (!File.Exists(path))
        {
            reason = "no cache file";
            return null;
        }
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            var header = new byte[HeaderBytes];
            if (f.Length < HeaderBytes || f.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes
                || !header.AsSpan(0, 8).SequenceEqual(Magic))
            {
                reason = "not a cache file (bad magic)";
                return null;
            }
            int version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
            int nTrain = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
            int nTest = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(16));
            int imageBytes = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(20));
            if (version != Version || imageBytes != Cifar10Split.ImageBytes || nTrain < 0 || nTest < 0)
            {
                reason = $"version {version}, {imageBytes} bytes per image: not this reader's format";
                return null;
            }
            long expected = HeaderBytes + ((long)nTrain + nTest) * (1 + Cifar10Split.ImageBytes);
            if (f.Length != expected)
            {
                reason = $"{f.Length} bytes, expected {expected} (truncated or overwritten)";
                return null;
            }
            var parts = new[]
            {
                new byte[nTrain], new byte[(long)nTrain * Cifar10Split.ImageBytes],
                new byte[nTest], new byte[(long)nTest * Cifar10Split.ImageBytes],
            };
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var part in parts)
            {
                f.ReadExactly(part);
                sha.AppendData(part);
            }
            if (!sha.GetHashAndReset().AsSpan().SequenceEqual(header.AsSpan(24, 32)))
            {
                reason = "payload hash mismatch (corrupt)";
                return null;
            }
            reason = "";
            return (new Cifar10Split(parts[1], parts[0]), new Cifar10Split(parts[3], parts[2]));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            reason = $"unreadable: {e.Message}";
            return null;
        }
    }

    static IEnumerable<byte[]> Payload(Cifar10Split train, Cifar10Split test) => [train.Labels, train.Images, test.Labels, test.Images];
}
