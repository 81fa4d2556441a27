// Runs the app's command line in process, capturing stdout, stderr and the exit code; or as a
// real process (Start), for what only a separate process shows: locks between processes, kills.
using System.Diagnostics;
using System.Text;
using Activations.Training.Cli;

namespace Activations.Tests.Infrastructure;

public static class AppCli
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CommandLine.Run(args, new Console2(o, e, Interactive: false));
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>
    /// Runs the command line and asserts what every failure must look like: exit code <paramref name="code"/>
    /// and a single `error: ` line on stderr holding each of <paramref name="expected"/> and no exception type.
    /// </summary>
    public static string FailsWithOneErrorLine(int code, string[] args, params string[] expected)
    {
        var r = Run(args);
        Assert.Equal(code, r.Code);
        string line = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        foreach (string e in expected) Assert.Contains(e, line);
        Assert.DoesNotContain("Exception", line);
        return line;
    }

    /// <summary>The app built beside the tests, started as its own process.</summary>
    public static AppProcess Start(params string[] args) => new(args);
}

/// <summary>A running `activations` process whose output is collected as it comes.</summary>
public sealed class AppProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new(), _err = new();

    public AppProcess(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "activations.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;
    public string Out { get { lock (_out) return _out.ToString(); } }
    public string Err { get { lock (_err) return _err.ToString(); } }

    /// <summary>Waits until stdout holds <paramref name="text"/>; false when the process exits or the time runs out first.</summary>
    public bool WaitForOutput(string text, TimeSpan timeout) => WaitFor(() => Out.Contains(text), timeout);

    /// <summary>Polls <paramref name="condition"/> until it holds (true) or the process exits or the time runs out (false).</summary>
    public bool WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition()) return true;
            if (_process.HasExited) return condition();
            Thread.Sleep(50);
        }
        return false;
    }

    /// <summary>Waits for the exit and returns the code; -1 (after killing it) when it runs past <paramref name="timeout"/>.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            return -1;
        }
        _process.WaitForExit(); // drains the output handlers
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no handler runs, as when a node dies.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }
}
