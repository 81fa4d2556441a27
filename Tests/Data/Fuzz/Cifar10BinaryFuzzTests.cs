// Fuzzing of the reader of CIFAR-10 binary batch files: the mutations and the harness are in ReaderFuzz.cs.
using System.Text;
using Activations.Training.Data;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace Activations.Tests.Data;

public sealed class Cifar10BinaryFuzzTests(ITestOutputHelper output) : ReaderFuzz
{
    const int BinRecords = 3;

    static string[] BinFiles => [.. Cifar10Binary.TrainFiles, Cifar10Binary.TestFile];

    // Record r of file f: label (f + r) % 10, pixel p = (f * 7 + r * 3 + p) % 251.
    static byte[] BinBatch(int file)
    {
        var data = new byte[BinRecords * Cifar10Binary.RecordBytes];
        for (int r = 0; r < BinRecords; r++)
        {
            data[r * Cifar10Binary.RecordBytes] = (byte)((file + r) % 10);
            for (int p = 0; p < Cifar10Split.ImageBytes; p++) data[r * Cifar10Binary.RecordBytes + 1 + p] = (byte)((file * 7 + r * 3 + p) % 251);
        }
        return data;
    }

    [Fact]
    public void Cifar10BinaryBatchFuzz()
    {
        const int floor = 350;
        var fuzz = new Fuzz("cifar10-binary", typeof(DatasetException));
        string folder = _dir.File(Cifar10Binary.ArchiveFolder);
        Directory.CreateDirectory(folder);
        var originals = Enumerable.Range(0, BinFiles.Length).Select(BinBatch).ToArray();
        for (int f = 0; f < BinFiles.Length; f++) File.WriteAllBytes(Path.Combine(folder, BinFiles[f]), originals[f]);

        // The mutated file rotates through the six, so every file is fuzzed and the message must name that one:
        // case k applies the k-th byte mutation (same offsets and masks for every file) to file k mod 6.
        var mutations = originals.Select(o => ByteMutations(o, header: 32, seed: 1301, bodyCuts: 60, bodyFlips: 120).ToList()).ToArray();
        IEnumerable<(string Label, int File, byte[] Data)> Cases()
        {
            const int rb = Cifar10Binary.RecordBytes;
            yield return ("valid", 0, originals[0]);
            for (int k = 0; k < mutations[0].Count; k++)
            {
                int f = k % BinFiles.Length;
                yield return (mutations[f][k].Label, f, mutations[f][k].Data);
            }
            // Each record's "header" (its label byte): every bit, and out-of-range labels.
            for (int r = 0; r < BinRecords; r++)
            {
                for (int bit = 0; bit < 8; bit++) yield return ($"record{r}-label^{1 << bit:x2}", r % 6, Flip(originals[r % 6], r * rb, (byte)(1 << bit)));
                foreach (byte v in new byte[] { 10, 11, 0x7F, 0x80, 0xFF })
                    yield return ($"record{r}-label={v}", 5 - r, With(originals[5 - r], b => b[r * rb] = v));
            }
            // Cuts and extensions at the record boundaries.
            for (int r = 1; r <= BinRecords; r++)
                foreach (int d in new[] { -1, 1 })
                    if (r * rb + d < originals[1].Length) yield return ($"cut@{r * rb + d}", 1, originals[1][..(r * rb + d)]);
            yield return ("one-record-less", 2, originals[2][..(2 * rb)]);
            yield return ("one-record-more", 3, [.. originals[3], .. originals[3][..rb]]);
            yield return ("one-byte-more", 4, [.. originals[4], 0]);
            // Not a batch at all ("wrong magic": the format has none, so other formats stand in).
            yield return ("gzipped-batch", 0, Gzip(originals[0]));
            yield return ("idx-file", 5, IdxFuzzTests.IdxImagesFile());
            yield return ("png-file", 4, Cifar10ImageFolderTests.Encode(32, 32, (x, y) => new Rgb24((byte)x, (byte)y, 0)));
            yield return ("text", 3, Encoding.UTF8.GetBytes("<html>404 Not Found</html>\n"));
        }

        foreach (var (label, f, data) in Cases())
        {
            string path = Path.Combine(folder, BinFiles[f]);
            File.WriteAllBytes(path, data);
            fuzz.Run($"{BinFiles[f]}:{label}", path, () =>
            {
                var (train, test) = Cifar10Binary.Load(folder, BinRecords);
                return train.Count == 5 * BinRecords && test.Count == BinRecords && train.Images.Length == train.Count * Cifar10Split.ImageBytes
                    && test.Images.Length == test.Count * Cifar10Split.ImageBytes ? null : $"{train.Count} + {test.Count} images";
            }, mustLoad: label == "valid");
            File.WriteAllBytes(path, originals[f]);
        }
        fuzz.Report(output, floor);
    }
}
