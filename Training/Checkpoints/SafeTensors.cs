// The .safetensors format (https://github.com/huggingface/safetensors). Written as F32 (I64 where a
// tensor asks for it: PyTorch's integer buffers); read from F32, F64, F16, BF16 and the integer
// dtypes, every one converted to float32 (the dtype read is kept, so callers can treat integers apart):
//
//   u64 little-endian N | N bytes of JSON header | raw little-endian tensor data
//   header: {"__metadata__": {"key": "value", …},
//            "fc1.weight": {"dtype": "F32", "shape": [128, 784], "data_offsets": [begin, end]}, …}
//   offsets are relative to the start of the data; the header is padded with spaces to 8 bytes.
//
// Writes are atomic: a temporary file in the same folder, flushed to disk, then renamed over the
// target, so a crash mid-save leaves the previous checkpoint intact. Reads trust nothing: the header
// length against the file size, the JSON, every dtype, shape and offset range are checked, and every
// failure is one CheckpointException naming the file (and the tensor). Files this app writes carry the
// SHA-256 of their tensor data in the metadata ("data_sha256"), checked on read so that a flipped bit
// is caught; files without it (PyTorch's, for one) are read without that check.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Activations.Training.Checkpoints;

/// <summary>A checkpoint file is unreadable, corrupt, or does not fit the model.</summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string message) : base(message) { }
    public CheckpointException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>One tensor read from a file: its shape, its values as float32, and the dtype it was stored in.</summary>
public sealed record StoredTensor(int[] Shape, float[] Data, string Dtype = "F32")
{
    /// <summary>Whether it was stored as integers or booleans (counters such as num_batches_tracked), not floating point.</summary>
    public bool IsInteger => Dtype is not ("F32" or "F64" or "F16" or "BF16");
}

/// <summary>The content of a .safetensors file: tensors by name (in file order) and metadata.</summary>
public sealed record SafeTensorsContent(IReadOnlyDictionary<string, StoredTensor> Tensors, IReadOnlyList<string> Order,
    IReadOnlyDictionary<string, string> Metadata);

public static class SafeTensors
{
    /// <summary>Headers above this are refused before they are read.</summary>
    public const long MaxHeaderBytes = 100L << 20;

    /// <summary>Files above this are refused before they are read (one byte array holds the file).</summary>
    public const long MaxFileBytes = 2000L << 20;

    /// <summary>The metadata key of the SHA-256 (hex) of all tensor data, in file order.</summary>
    public const string DataHashKey = "data_sha256";

    /// <summary>The dtypes read and their sizes in bytes.</summary>
    private static readonly Dictionary<string, int> DtypeBytes = new()
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2,
        ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
    };

    /// <summary>Writes <paramref name="tensors"/> (host data, as F32) and <paramref name="metadata"/> atomically.</summary>
    public static void Write(string path, IEnumerable<(string Name, int[] Shape, float[] Data)> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, tensors.Select(t => (t.Name, t.Shape, t.Data, "F32")), metadata);

    /// <summary>Writes tensors each as F32 or I64 (values rounded to integers), and <paramref name="metadata"/>, atomically.</summary>
    public static void Write(string path, IEnumerable<(string Name, int[] Shape, float[] Data, string Dtype)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var names = new HashSet<string>();
        foreach (var (name, shape, data, dtype) in list)
        {
            if (dtype is not ("F32" or "I64")) throw new ArgumentException($"tensor '{name}': dtype {dtype} is not written (F32 or I64)");
            if (name == "__metadata__" || !names.Add(name)) throw new ArgumentException($"tensor name '{name}' is reserved or repeated");
            long n = 1;
            foreach (var d in shape) n *= d;
            if (n != data.Length) throw new ArgumentException($"tensor '{name}': shape {Shape(shape)} does not hold {data.Length} values");
        }
        var withHash = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { [DataHashKey] = DataHash(list) };
        byte[] header = Header(list, withHash);
        AtomicFile.Write(path, fs =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
            fs.Write(len);
            fs.Write(header);
            foreach (var (_, _, data, dtype) in list)
                if (dtype == "I64") WriteLongs(fs, data);
                else WriteFloats(fs, data);
        }, flushToDisk: true);
    }

    /// <summary>SHA-256 of the data section exactly as <see cref="Write(string, IEnumerable{ValueTuple{string, int[], float[], string}}, IReadOnlyDictionary{string, string}?)"/> lays it out.</summary>
    private static string DataHash(List<(string Name, int[] Shape, float[] Data, string Dtype)> list)
    {
        using var sha = System.Security.Cryptography.SHA256.Create();
        using (var hashing = new System.Security.Cryptography.CryptoStream(Stream.Null, sha, System.Security.Cryptography.CryptoStreamMode.Write))
            foreach (var (_, _, data, dtype) in list)
                if (dtype == "I64") WriteLongs(hashing, data);
                else WriteFloats(hashing, data);
        return Convert.ToHexStringLower(sha.Hash!);
    }

    private static byte[] Header(List<(string Name, int[] Shape, float[] Data, string Dtype)> list, IReadOnlyDictionary<string, string>? metadata)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, shape, data, dtype) in list)
            {
                w.WriteStartObject(name);
                w.WriteString("dtype", dtype);
                w.WriteStartArray("shape");
                foreach (var d in shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += DtypeBytes[dtype] * (long)data.Length;
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int pad = (int)((8 - ms.Length % 8) % 8);
        for (int i = 0; i < pad; i++) ms.WriteByte((byte)' ');
        return ms.ToArray();
    }

    private static void WriteLongs(Stream s, float[] data)
    {
        var b = new byte[8];
        foreach (var v in data)
        {
            BinaryPrimitives.WriteInt64LittleEndian(b, (long)MathF.Round(v));
            s.Write(b);
        }
    }

    private static void WriteFloats(Stream s, float[] data)
    {
        if (BitConverter.IsLittleEndian)
        {
            s.Write(MemoryMarshal.AsBytes(data.AsSpan()));
            return;
        }
        var b = new byte[4];
        foreach (var v in data)
        {
            BinaryPrimitives.WriteSingleLittleEndian(b, v);
            s.Write(b);
        }
    }

    /// <summary>Reads and validates a whole file.</summary>
    public static SafeTensorsContent Read(string path)
    {
        byte[] bytes;
        try
        {
            if (Directory.Exists(path)) throw new CheckpointException($"{path}: is a directory, not a checkpoint file");
            if (!File.Exists(path)) throw new CheckpointException($"{path}: checkpoint not found");
            if (Data.InputFile.Problem(path, MaxFileBytes, "checkpoint") is { } problem) throw new CheckpointException($"{path}: {problem}");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot be read ({e.Message})", e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses the bytes of a file named <paramref name="name"/> (for messages).</summary>
    public static SafeTensorsContent Parse(byte[] bytes, string name)
    {
        // JsonDocument checks the syntax only: a name or string that is not valid Unicode (bytes that are
        // not UTF-8, an unpaired \uD800 escape) throws InvalidOperationException when it is read.
        try { return ParseHeaderAndData(bytes, name); }
        catch (InvalidOperationException e)
        {
            throw new CheckpointException($"{name}: the header holds text that is not valid Unicode ({e.Message.ReplaceLineEndings(" ")})", e);
        }
    }

    private static SafeTensorsContent ParseHeaderAndData(byte[] bytes, string name)
    {
        if (bytes.Length < 8) throw new CheckpointException($"{name}: {bytes.Length} bytes is too short for a safetensors file");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8) || headerLength > MaxHeaderBytes)
            throw new CheckpointException($"{name}: header length {headerLength} does not fit in a file of {bytes.Length} bytes");
        int dataStart = 8 + (int)headerLength;
        long dataLength = bytes.Length - dataStart;
        var tensors = new Dictionary<string, StoredTensor>();
        var order = new List<string>();
        var metadata = new Dictionary<string, string>();
        string? expectedHash = null;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{name}: the header is not valid JSON ({e.Message.ReplaceLineEndings(" ")})", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new CheckpointException($"{name}: the header is not a JSON object");
            var claimed = new List<(long Begin, long End, string Name)>();
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw new CheckpointException($"{name}: __metadata__ is not an object");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw new CheckpointException($"{name}: metadata '{m.Name}' is not a string");
                        if (m.Name == DataHashKey) expectedHash = m.Value.GetString()!;
                        else metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                var (shape, dtype, begin, end) = Entry(prop, name);
                int size = DtypeBytes[dtype];
                long count = 1;
                foreach (var d in shape) count *= d;
                if (begin < 0 || end < begin || end > dataLength)
                    throw new CheckpointException($"{name}: tensor '{prop.Name}': data_offsets [{begin}, {end}] are outside the {dataLength} bytes of data");
                if (end - begin != size * count)
                    throw new CheckpointException($"{name}: tensor '{prop.Name}': shape {Shape(shape)} needs {size * count} bytes of {dtype} but data_offsets span {end - begin}");
                claimed.Add((begin, end, prop.Name));
                var data = ToFloats(bytes.AsSpan(dataStart + (int)begin, (int)(end - begin)), dtype, (int)count);
                if (!tensors.TryAdd(prop.Name, new StoredTensor(shape, data, dtype)))
                    throw new CheckpointException($"{name}: tensor '{prop.Name}' appears twice");
                order.Add(prop.Name);
            }
            claimed.Sort();
            for (int i = 1; i < claimed.Count; i++)
                if (claimed[i].Begin < claimed[i - 1].End)
                    throw new CheckpointException($"{name}: tensors '{claimed[i - 1].Name}' and '{claimed[i].Name}' overlap in the data");
        }
        if (expectedHash is not null)
        {
            string actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(dataStart)));
            if (!string.Equals(actual, expectedHash, StringComparison.OrdinalIgnoreCase))
                throw new CheckpointException($"{name}: the tensor data has SHA-256 {actual}, but the file records {expectedHash}: the file is corrupt (changed or damaged after it was written)");
        }
        return new SafeTensorsContent(tensors, order, metadata);
    }

    /// <summary>Little-endian values of <paramref name="dtype"/> as float32 (F16 and BF16 exactly; F64 and integers rounded to nearest).</summary>
    private static float[] ToFloats(ReadOnlySpan<byte> src, string dtype, int count)
    {
        var data = new float[count];
        switch (dtype)
        {
            case "F32":
                if (BitConverter.IsLittleEndian) src.CopyTo(MemoryMarshal.AsBytes(data.AsSpan()));
                else for (int i = 0; i < count; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                break;
            case "F64": for (int i = 0; i < count; i++) data[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]); break;
            case "F16": for (int i = 0; i < count; i++) data[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]); break;
            // bfloat16 is the top half of a float32.
            case "BF16": for (int i = 0; i < count; i++) data[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]) << 16); break;
            case "I64": for (int i = 0; i < count; i++) data[i] = BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]); break;
            case "I32": for (int i = 0; i < count; i++) data[i] = BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]); break;
            case "I16": for (int i = 0; i < count; i++) data[i] = BinaryPrimitives.ReadInt16LittleEndian(src[(2 * i)..]); break;
            case "I8": for (int i = 0; i < count; i++) data[i] = (sbyte)src[i]; break;
            default: for (int i = 0; i < count; i++) data[i] = src[i]; break; // U8, BOOL
        }
        return data;
    }

    private static (int[] Shape, string Dtype, long Begin, long End) Entry(JsonProperty prop, string file)
    {
        string t = prop.Name;
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw new CheckpointException($"{file}: tensor '{t}': entry is not an object");
        if (!v.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String)
            throw new CheckpointException($"{file}: tensor '{t}': no dtype");
        string type = dtype.GetString()!;
        if (!DtypeBytes.ContainsKey(type))
            throw new CheckpointException($"{file}: tensor '{t}': dtype {type} is not supported (F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
        if (!v.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw new CheckpointException($"{file}: tensor '{t}': no shape");
        var shape = new List<int>();
        long count = 1;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int n) || n < 0)
                throw new CheckpointException($"{file}: tensor '{t}': shape holds {d.GetRawText()}, not a dimension");
            count *= n;
            if (count > int.MaxValue) throw new CheckpointException($"{file}: tensor '{t}': shape is too large");
            shape.Add(n);
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2
            || off[0].ValueKind != JsonValueKind.Number || off[1].ValueKind != JsonValueKind.Number
            || !off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end))
            throw new CheckpointException($"{file}: tensor '{t}': data_offsets must be two integers");
        return (shape.ToArray(), type, begin, end);
    }

    private static string Shape(IEnumerable<int> s) => "[" + string.Join(", ", s) + "]";

    /// <summary>"[128, 784]".</summary>
    public static string FormatShape(IEnumerable<int> s) => Shape(s);
}
