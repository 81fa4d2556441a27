// Runs another program (dotnet, python, bash) to its end for the tests that check what it does.
using System.Diagnostics;

namespace Activations.Tests.Infrastructure;

public static class ExternalProcess
{
    /// <summary>
    /// Runs <paramref name="file"/> in <paramref name="workDir"/> (null: this process's folder) with the extra
    /// environment <paramref name="env"/>; returns the exit code and stdout followed by stderr. A run past
    /// eight minutes is killed and throws.
    /// </summary>
    public static (int Code, string Out) Run(string file, string? workDir, IDictionary<string, string>? env, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workDir ?? "", RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) start.Environment[k] = v;
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(8))) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish"); }
        return (p.ExitCode, stdout + stderr.Result);
    }
}
