// A streaming reader for .tar and .tar.gz archives: one forward pass, entries handed out one at a time
// with their data as a stream, nothing extracted to disk. Reads ustar (with its 155-byte name prefix),
// GNU long names ('L') and pax extended headers ('x': path and size); gzip is detected by its magic.
//
// Why not System.Formats.Tar: its TarReader does not check header checksums (a corrupted name went
// through unnoticed in our trial), and its errors ("Unable to read beyond the end of the stream") name
// neither the archive nor the entry. Here every header checksum is verified, an archive must end with
// the end-of-archive block, and every error is a one-line DatasetException naming archive and entry.
using System.IO.Compression;
using System.Text;

namespace Activations.Training.Data;

public enum TarArchiveEntryType { File, Directory, SymbolicLink, HardLink, Other }

/// <summary>One archive member. <see cref="Data"/> is valid only until the enumeration moves on.</summary>
public sealed class TarArchiveEntry
{
    readonly string _archive;

    internal TarArchiveEntry(string archive, string name, long size, TarArchiveEntryType type, Stream data)
    {
        _archive = archive;
        Name = name;
        Size = size;
        Type = type;
        Data = data;
    }

    /// <summary>Path inside the archive, '/'-separated, as stored (no leading "./" removal).</summary>
    public string Name { get; }

    public long Size { get; }

    public TarArchiveEntryType Type { get; }

    /// <summary>Exactly <see cref="Size"/> bytes; a short archive throws a <see cref="DatasetException"/>.</summary>
    public Stream Data { get; }

    /// <summary>The whole entry in memory (entries over 2 GiB are refused).</summary>
    public byte[] ReadAllBytes()
    {
        if (Size > Array.MaxLength) throw new DatasetException($"{_archive}: entry '{Name}' of {Size} bytes is too large to hold in memory");
        // The buffer grows as the data arrives instead of trusting the header: a corrupt size field then
        // costs what the archive actually holds, not gigabytes, before the truncation is reported.
        var bytes = new byte[Math.Min(Size, 1 << 20)];
        Data.ReadExactly(bytes);
        while (bytes.Length < Size)
        {
            int filled = bytes.Length;
            Array.Resize(ref bytes, (int)Math.Min(Size, 2L * filled));
            Data.ReadExactly(bytes.AsSpan(filled));
        }
        return bytes;
    }
}

public sealed class TarArchive : IDisposable
{
    const int Block = 512;
    const int MaxMetadataBytes = 1 << 20; // a GNU long name or pax header larger than this is corruption

    const long MaxTrailerBytes = 1 << 20; // zero padding after the end-of-archive block; more is refused

    readonly Stream _stream;
    readonly bool _gzip;
    readonly bool _leaveOpen;
    bool _started;

    /// <summary>Reads an archive from a stream (gzip-compressed when <paramref name="gzip"/>).</summary>
    /// <param name="name">How errors name the archive, usually its path.</param>
    public TarArchive(Stream stream, string name, bool gzip, bool leaveOpen = false)
    {
        Name = name;
        _stream = gzip ? new GZipStream(stream, CompressionMode.Decompress, leaveOpen) : stream;
        _gzip = gzip;
        _leaveOpen = leaveOpen && !gzip;
    }

    /// <summary>The archive as errors name it.</summary>
    public string Name { get; }

    /// <summary>Opens a .tar or .tar.gz file; gzip is recognised by its first two bytes, not the name.</summary>
    public static TarArchive Open(string path)
    {
        FileStream file;
        if (InputFile.Problem(path, long.MaxValue, "archive") is { } problem) throw new DatasetException($"{path}: {problem}");
        try { file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"{path}: cannot open archive: {e.Message}", e);
        }
        Span<byte> magic = stackalloc byte[2];
        int n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return new TarArchive(file, path, gzip: n == 2 && magic[0] == 0x1F && magic[1] == 0x8B);
    }

    /// <summary>
    /// The entries in archive order, in one forward pass (the archive can be enumerated once). An entry's
    /// unread data is skipped when the enumeration moves on. Metadata entries (long names, pax headers)
    /// are consumed here and not returned.
    /// </summary>
    public IEnumerable<TarArchiveEntry> Entries()
    {
        if (_started) throw new InvalidOperationException($"{Name}: a tar archive can be enumerated only once");
        _started = true;
        var header = new byte[Block];
        string? previous = null;
        string? longName = null;
        string? paxPath = null;
        long? paxSize = null;
        while (true)
        {
            if (!ReadHeader(header, previous))
            {
                VerifyGzipTrailer(previous);
                yield break;
            }
            char flag = (char)header[156];
            string name = longName ?? paxPath ?? HeaderName(header);
            long size = paxSize ?? ParseNumber(header.AsSpan(124, 12), previous);
            if (size < 0) throw Error($"negative size in the header after {Describe(previous)}");
            longName = null;
            paxPath = null;
            paxSize = null;

            switch (flag)
            {
                case 'L': // GNU long name: the data is the name of the next entry
                    longName = ReadMetadata(size, name, previous).TrimEnd('\0');
                    continue;
                case 'K': // GNU long link target: not needed
                    ReadMetadata(size, name, previous);
                    continue;
                case 'x': // pax extended header for the next entry
                    ParsePax(ReadMetadata(size, name, previous), ref paxPath, ref paxSize, previous);
                    continue;
                case 'g': // pax global header: nothing we use
                    ReadMetadata(size, name, previous);
                    continue;
            }

            var type = flag switch
            {
                '0' or '\0' or '7' => TarArchiveEntryType.File,
                '5' => TarArchiveEntryType.Directory,
                '2' => TarArchiveEntryType.SymbolicLink,
                '1' => TarArchiveEntryType.HardLink,
                _ => TarArchiveEntryType.Other,
            };
            // Links and directories carry no data even if a size is written in their header.
            long dataSize = type is TarArchiveEntryType.SymbolicLink or TarArchiveEntryType.HardLink or TarArchiveEntryType.Directory ? 0 : size;
            var data = new EntryStream(this, name, dataSize);
            yield return new TarArchiveEntry(Name, name, dataSize, type, data);
            data.SkipRestAndPadding();
            previous = name;
        }
    }

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }

    // After the end-of-archive block of a .tar.gz, reads the rest of the gzip stream (the tar padding,
    // at most MaxTrailerBytes) so that the decompressor reaches the gzip trailer and checks its CRC-32
    // and length: damage anywhere in the compressed data, even inside an image, is then an error.
    void VerifyGzipTrailer(string? previous)
    {
        if (!_gzip) return;
        var buffer = new byte[64 << 10];
        long total = 0;
        int n;
        while ((n = ReadFully(buffer, previous, inEntry: null)) > 0)
        {
            total += n;
            if (total > MaxTrailerBytes)
                throw Error($"has more than {MaxTrailerBytes >> 20} MiB of data after its end-of-archive block (corrupt archive)");
        }
    }

    // Reads the next header block; false at the end-of-archive block. Verifies the checksum.
    bool ReadHeader(byte[] header, string? previous)
    {
        int n = ReadFully(header, previous, inEntry: null);
        if (n == 0)
            throw Error($"ends without the end-of-archive block after {Describe(previous)} (truncated archive)");
        if (n < Block)
            throw Error($"ends inside the header after {Describe(previous)} (truncated archive)");
        if (header.AsSpan().IndexOfAnyExcept((byte)0) < 0) return false; // end-of-archive: a zero block
        long stored = ParseNumber(header.AsSpan(148, 8), previous);
        long unsigned = 0, signed = 0;
        for (int i = 0; i < Block; i++)
        {
            byte b = i is >= 148 and < 156 ? (byte)' ' : header[i];
            unsigned += b;
            signed += (sbyte)b;
        }
        if (stored != unsigned && stored != signed)
            throw Error($"header checksum mismatch after {Describe(previous)} (corrupt archive or not a tar file)");
        return true;
    }

    string ReadMetadata(long size, string name, string? previous)
    {
        if (size > MaxMetadataBytes) throw Error($"metadata entry '{name}' of {size} bytes after {Describe(previous)} (corrupt archive)");
        var data = new EntryStream(this, name, size);
        var bytes = new byte[size];
        data.ReadExactly(bytes);
        data.SkipRestAndPadding();
        return Encoding.UTF8.GetString(bytes);
    }

    // pax records: "<length> <key>=<value>\n", length counting the whole record in bytes.
    void ParsePax(string text, ref string? path, ref long? size, string? previous)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        int pos = 0;
        while (pos < bytes.Length)
        {
            int space = Array.IndexOf(bytes, (byte)' ', pos);
            if (space < 0 || !int.TryParse(bytes.AsSpan(pos, space - pos), out int length) || length < space - pos + 2 || pos + length > bytes.Length)
                throw Error($"malformed pax header after {Describe(previous)}");
            string record = Encoding.UTF8.GetString(bytes, space + 1, pos + length - space - 2);
            int eq = record.IndexOf('=');
            if (eq > 0)
            {
                string key = record[..eq], value = record[(eq + 1)..];
                if (key == "path") path = value;
                else if (key == "size" && long.TryParse(value, out long s)) size = s;
            }
            pos += length;
        }
    }

    static string HeaderName(byte[] header)
    {
        string name = CString(header.AsSpan(0, 100));
        // POSIX ustar ("ustar\0") keeps a 155-byte prefix; old GNU ("ustar  \0") uses those bytes for other fields.
        bool posix = header.AsSpan(257, 6).SequenceEqual("ustar\0"u8);
        if (posix)
        {
            string prefix = CString(header.AsSpan(345, 155));
            if (prefix.Length > 0) name = prefix + "/" + name;
        }
        return name;
    }

    static string CString(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    // Octal (NUL/space padded) or GNU base-256 (high bit of the first byte set).
    long ParseNumber(ReadOnlySpan<byte> field, string? previous)
    {
        if ((field[0] & 0x80) != 0)
        {
            long v = field[0] & 0x3F;
            if ((field[0] & 0x40) != 0) throw Error($"negative number in the header after {Describe(previous)}");
            for (int i = 1; i < field.Length; i++)
            {
                if (v > (long.MaxValue >> 8)) throw Error($"number too large in the header after {Describe(previous)}");
                v = (v << 8) | field[i];
            }
            return v;
        }
        long r = 0;
        int k = 0;
        while (k < field.Length && field[k] == ' ') k++;
        for (; k < field.Length && field[k] is >= (byte)'0' and <= (byte)'7'; k++)
        {
            if (r > (long.MaxValue >> 3)) throw Error($"number too large in the header after {Describe(previous)}");
            r = r * 8 + (field[k] - '0');
        }
        for (; k < field.Length; k++)
            if (field[k] is not (0 or (byte)' '))
                throw Error($"unreadable number in the header after {Describe(previous)} (corrupt archive or not a tar file)");
        return r;
    }

    // Fills as much of the buffer as the archive has; wraps decompression and I/O errors.
    int ReadFully(Span<byte> buffer, string? previous, string? inEntry)
    {
        try { return _stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false); }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            string where = inEntry != null ? $"in entry '{inEntry}'" : $"after {Describe(previous)}";
            throw new DatasetException($"{Name}: corrupt or unreadable data {where}: {e.Message}", e);
        }
    }

    static string Describe(string? previous) => previous == null ? "the start" : $"entry '{previous}'";

    DatasetException Error(string what) => new($"{Name}: {what}");

    // Exactly `size` bytes of the archive stream; then the padding to the next 512-byte block is skipped.
    sealed class EntryStream(TarArchive archive, string entry, long size) : Stream
    {
        long _remaining = Math.Max(0, size);

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_remaining == 0 || buffer.Length == 0) return 0;
            var want = buffer[..(int)Math.Min(buffer.Length, _remaining)];
            int n = archive.ReadFully(want, null, entry);
            _remaining -= n;
            if (n < want.Length)
                throw archive.Error($"ends inside entry '{entry}' ({size - _remaining} of {size} bytes present; truncated archive)");
            return n;
        }

        public void SkipRestAndPadding()
        {
            long pad = (Block - size % Block) % Block;
            Span<byte> scratch = stackalloc byte[4096];
            while (_remaining > 0) ReadExactly(scratch[..(int)Math.Min(scratch.Length, _remaining)]);
            if (pad > 0 && archive.ReadFully(scratch[..(int)pad], null, entry) < pad)
                throw archive.Error($"ends inside the padding of entry '{entry}' (truncated archive)");
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => size;
        public override long Position { get => size - _remaining; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
