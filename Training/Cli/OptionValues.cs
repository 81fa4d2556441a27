// How option values are read and checked, for every command: numbers are plain invariant decimals
// (no thousands separators, no locale commas, no Infinity/NaN words), integers are range-checked
// before anything uses them, and device names are checked before a device is opened. Every refusal
// is a UsageException naming the option and the value, so the app exits 2 with one line.
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Activations.Training.Cli;

public static partial class OptionValues
{
    /// <summary>Digits with an optional '.' and exponent: "0.05", "-3", "1e-3", ".5".</summary>
    [GeneratedRegex(@"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")]
    private static partial Regex PlainNumber();

    [GeneratedRegex("^(auto|cpu|cuda|opencl)(:([0-9]+))?$")]
    private static partial Regex DeviceSpec();

    /// <summary>The largest device index accepted (no machine has more accelerators of one kind).</summary>
    public const int MaxDeviceIndex = 1023;

    /// <summary>Parses a plain decimal number, independent of the machine's culture; false for anything else.</summary>
    public static bool TryParseNumber(string? text, out double value)
    {
        value = 0;
        string t = (text ?? "").Trim();
        return PlainNumber().IsMatch(t) && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    /// <summary>A plain number, or a UsageException naming <paramref name="option"/>.</summary>
    public static double Number(string option, string text) =>
        TryParseNumber(text, out double v) ? v : throw new UsageException(NotANumber(option, text));

    /// <summary>A plain non-negative integer in [<paramref name="min"/>, <paramref name="max"/>], or a UsageException.</summary>
    public static int Integer(string option, string text, int min, int max)
    {
        string t = text.Trim();
        if (t.Length == 0 || !t.All(char.IsAsciiDigit))
            throw new UsageException($"{option}: '{text}' is not a whole number");
        if (!int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
            throw new UsageException($"{option} must be between {min} and {max}; got {t}");
        return v;
    }

    /// <summary>Throws a UsageException unless <paramref name="value"/> is in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static void Range(string option, long value, long min, long max)
    {
        if (value < min || value > max)
            throw new UsageException($"{option} must be between {min} and {max}; got {value.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>Checks a device name (auto, cpu, opencl[:N], cuda[:N]); returns it trimmed and in lower case.</summary>
    public static string Device(string option, string? spec)
    {
        string s = (spec ?? "").Trim().ToLowerInvariant();
        var m = DeviceSpec().Match(s);
        if (!m.Success) throw new UsageException($"{option}: unknown device '{spec}'; expected auto, cpu, opencl[:N] or cuda[:N]");
        if (m.Groups[3].Success && (!int.TryParse(m.Groups[3].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int i) || i > MaxDeviceIndex))
            throw new UsageException($"{option}: device index {m.Groups[3].Value} is out of range (0..{MaxDeviceIndex}; `activations devices` lists them)");
        return s;
    }

    /// <summary>
    /// Checks, before any work, that <paramref name="path"/> is or can become a writable folder:
    /// not a file, creatable, and a file can be written in it. The folder is created (empty).
    /// </summary>
    public static void OutputFolder(string option, string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UsageException($"{option} needs a folder");
        if (File.Exists(path)) throw new UsageException($"{option}: {path} is a file, not a folder");
        string probe = Path.Combine(path, $".write-test.{Environment.ProcessId}.{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(path);
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new UsageException($"{option}: cannot write in the folder {path} ({Reason(e)})");
        }
    }

    /// <summary>Checks, before any work, that <paramref name="path"/> can be written as a file: not a folder, its folder writable.</summary>
    public static void OutputFile(string option, string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UsageException($"{option} needs a file name");
        if (Directory.Exists(path)) throw new UsageException($"{option}: {path} is a folder, not a file");
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        OutputFolder(option, dir);
    }

    /// <summary>The message of an I/O failure without the exception's type: what the OS said.</summary>
    private static string Reason(Exception e) => e.Message.ReplaceLineEndings(" ").TrimEnd('.');

    private static string NotANumber(string option, string? text) =>
        $"{option}: '{text}' is not a plain number (digits with an optional '.' and exponent, e.g. 0.05 or 1e-3; no thousands separators)";

    /// <summary>System.CommandLine parser for a float option: plain numbers only.</summary>
    public static float ParseFloat(ArgumentResult r) => (float)(ParseToken(r) ?? 0);

    /// <summary>System.CommandLine parser for an optional float option.</summary>
    public static float? ParseOptionalFloat(ArgumentResult r) => ParseToken(r) is { } v ? (float)v : null;

    /// <summary>System.CommandLine parser for a double option.</summary>
    public static double ParseDouble(ArgumentResult r) => ParseToken(r) ?? 0;

    private static double? ParseToken(ArgumentResult r)
    {
        string option = r.Parent is OptionResult o ? o.Option.Name : "value";
        if (r.Tokens.Count != 1)
        {
            r.AddError($"{option} needs one number");
            return null;
        }
        string text = r.Tokens[0].Value;
        if (TryParseNumber(text, out double v)) return v;
        r.AddError(NotANumber(option, text));
        return null;
    }
}
