// The JSON settings of every file a run or a study writes (config.json, metrics.json, run.json,
// done.json, grid.json, report.json): indented snake_case, NaN allowed, names read ignoring case.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Activations.Training.Run;

public static class RunJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes <paramref name="value"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAtomic<T>(string path, T value) =>
        AtomicFile.WriteText(path, JsonSerializer.Serialize(value, Options), flushToDisk: false);

    public static T Read<T>(string path) =>
        JsonSerializer.Deserialize<T>(AtomicFile.ReadAllText(path), Options)
        ?? throw new InvalidDataException($"{path}: empty JSON (null)");
}
