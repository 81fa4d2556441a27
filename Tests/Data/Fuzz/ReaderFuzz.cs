// Deterministic fuzzing of every reader of untrusted files. Each test builds a small valid file of one
// format, then feeds the reader a fixed, seeded set of mutations of it: truncation (length 0, every
// offset within the header, a spread through the body), byte flips (every header byte with three masks,
// sampled body bytes), appended garbage, header fields set to wrong, huge or negative values (with the
// checksums fixed where the format has them, so the field itself is what the reader meets) and wrong
// magic. Every case must either load with the right shapes or throw the reader's documented exception
// (DataFormatException, DatasetException or CheckpointException) with a one-line message naming the
// file. Anything else — another exception type, a large allocation on the reading thread, a hang — is
// collected, and all of a format's failures are reported together in one assertion message.
using System.Diagnostics;
using System.IO.Compression;
using Activations.Tests.Infrastructure;
using Activations.Training.Checkpoints;
using Activations.Training.Data;
using Xunit.Abstractions;

namespace Activations.Tests.Data;

/// <summary>The harness the fuzz tests of every reader share; each format's tests are in their own file beside this one.</summary>
public abstract class ReaderFuzz : IDisposable
{
    protected readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();


    /// <summary>Runs the cases of one format and tallies them; failures are collected, not thrown.</summary>
    protected sealed class Fuzz(string format, Type refusal)
    {
        /// <summary>More than this allocated on the reading thread for a file of a few kilobytes is a failure.</summary>
        const long MaxAllocatedBytes = 64L << 20;

        /// <summary>Generous: a case normally takes well under a millisecond; this only turns a hang into a failure.</summary>
        static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(30);

        readonly Stopwatch _clock = Stopwatch.StartNew();
        readonly List<string> _failures = [];
        bool _hung;
        int _loaded, _refused;

        public int Cases => _loaded + _refused + _failures.Count;

        /// <summary>
        /// Runs one case. <paramref name="load"/> reads the file and returns null when the result has the
        /// right shapes, otherwise what is wrong. A refusal must be a <c>refusal</c> exception whose message
        /// is one line containing <paramref name="name"/> (the file's path, or the name given to the reader).
        /// </summary>
        public void Run(string label, string name, Func<string?> load, bool mustLoad = false)
        {
            if (_hung) return;
            string? problem = null;
            Exception? error = null;
            long allocated = 0;
            var task = Task.Run(() =>
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                try { problem = load(); }
                catch (Exception e) { error = e; }
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            });
            if (!task.Wait(CaseLimit))
            {
                _failures.Add($"{label}: no result after {CaseLimit.TotalSeconds:F0} s (hang); the remaining cases were skipped");
                _hung = true;
                return;
            }
            string what = error == null ? "loaded" : $"{error.GetType().Name}: {OneLine(error.Message)}";
            if (allocated > MaxAllocatedBytes)
                _failures.Add($"{label}: allocated {allocated >> 20} MiB on the reading thread ({what})");
            else if (error == null)
            {
                if (problem != null) _failures.Add($"{label}: loaded, but {problem}");
                else _loaded++;
            }
            else if (error.GetType() == refusal && error.Message.Contains(name) && !error.Message.Contains('\n'))
            {
                if (mustLoad) _failures.Add($"{label}: the valid file was refused: {OneLine(error.Message)}");
                else _refused++;
            }
            else
            {
                string why = error.GetType() != refusal ? $"not a {refusal.Name}"
                    : !error.Message.Contains(name) ? $"the message does not name {name}" : "the message is not one line";
                string at = error.StackTrace?.Split('\n', StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
                _failures.Add($"{label}: {what} ({why}) {at}");
            }
        }

        /// <summary>Writes the tally; asserts no failures, at least <paramref name="floor"/> cases, and the time bound.</summary>
        public void Report(ITestOutputHelper output, int floor, double maxSeconds = 30)
        {
            double seconds = _clock.Elapsed.TotalSeconds;
            output.WriteLine($"{format}: {Cases} cases, {_loaded} loaded, {_refused} refused, {_failures.Count} failed ({seconds:F1} s)");
            foreach (var f in _failures) output.WriteLine("  " + f);
            Assert.True(_failures.Count == 0, $"{format}: {_failures.Count} of {Cases} cases failed:\n" + string.Join("\n", _failures));
            Assert.True(Cases >= floor, $"{format}: only {Cases} cases ran, expected at least {floor}");
            Assert.True(seconds < maxSeconds, $"{format}: {Cases} cases took {seconds:F1} s, expected under {maxSeconds} s");
        }

        static string OneLine(string s) => s.ReplaceLineEndings(" ⏎ ");
    }

    /// <summary>Writes <paramref name="data"/> to a fresh file, runs the case on it, then deletes it.</summary>
    protected void RunFile(Fuzz fuzz, string label, byte[] data, string suffix, Func<string, string?> load, bool mustLoad = false)
    {
        string path = _dir.File($"case{fuzz.Cases:D5}{suffix}");
        File.WriteAllBytes(path, data);
        fuzz.Run(label, path, () => load(path), mustLoad);
        File.Delete(path);
    }

    protected static readonly byte[] Masks = [0x01, 0x80, 0xFF];

    /// <summary>
    /// Byte-level mutations of <paramref name="valid"/>, deterministic for a seed: length 0; truncation at
    /// every offset within the first <paramref name="header"/> bytes and the last <paramref name="trailer"/>
    /// bytes and at <paramref name="bodyCuts"/> spread offsets (plus a quarter as many random ones) in
    /// between; every header and trailer byte flipped with each of <see cref="Masks"/>;
    /// <paramref name="bodyFlips"/> random body bytes flipped with random masks; appended garbage.
    /// </summary>
    protected static IEnumerable<(string Label, byte[] Data)> ByteMutations(byte[] valid, int header, int seed, int bodyCuts, int bodyFlips, int trailer = 0)
    {
        var rng = new Random(seed);
        header = Math.Min(header, valid.Length);
        int bodyEnd = valid.Length - trailer;
        yield return ("empty", []);

        var cuts = new SortedSet<int>();
        for (int n = 1; n <= header; n++) cuts.Add(n);
        for (int k = 0; k < bodyCuts; k++) cuts.Add(header + (int)((long)(bodyEnd - header) * k / bodyCuts));
        for (int k = 0; k < bodyCuts / 4; k++) cuts.Add(rng.Next(header, bodyEnd));
        for (int n = bodyEnd; n < valid.Length; n++) cuts.Add(n);
        cuts.Add(valid.Length - 1);
        cuts.Remove(0);
        cuts.Remove(valid.Length);
        foreach (int n in cuts) yield return ($"cut@{n}", valid[..n]);

        for (int i = 0; i < header; i++)
            foreach (byte m in Masks) yield return ($"flip@{i}^{m:x2}", Flip(valid, i, m));
        for (int i = bodyEnd; i < valid.Length; i++)
            foreach (byte m in Masks) yield return ($"flip@{i}^{m:x2}", Flip(valid, i, m));
        for (int k = 0; k < bodyFlips && header < bodyEnd; k++)
        {
            int i = rng.Next(header, bodyEnd);
            byte m = (byte)rng.Next(1, 256);
            yield return ($"flip@{i}^{m:x2}", Flip(valid, i, m));
        }

        foreach (int n in new[] { 1, 3, 8, 511, 4096 })
        {
            var garbage = new byte[n];
            rng.NextBytes(garbage);
            yield return ($"append{n}", [.. valid, .. garbage]);
        }
        yield return ("append-zeros1024", [.. valid, .. new byte[1024]]);
        yield return ("twice", [.. valid, .. valid]);
    }

    protected static byte[] Flip(byte[] data, int at, byte mask)
    {
        var b = (byte[])data.Clone();
        b[at] ^= mask;
        return b;
    }

    protected static byte[] With(byte[] data, Action<byte[]> change)
    {
        var b = (byte[])data.Clone();
        change(b);
        return b;
    }

    protected static byte[] Gzip(byte[] data) => IdxFiles.Gzip(data);

    protected static byte[] Gunzip(byte[] data)
    {
        using var gz = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>Values a 32-bit header field is set to: empty, tiny, negative, at and past the limits, huge.</summary>
    protected static readonly int[] HugeInts = [0, 1, -1, 2, int.MaxValue, int.MinValue, 0x7FFFFFF0, 0x00FFFFFF, 0x01000000, 0x10000, 0x8000, 4096, 4097, 16384, 16385];
}
