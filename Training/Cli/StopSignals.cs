// Ctrl-C (SIGINT), SIGTERM and SIGHUP (a closed terminal or SSH session) as a cancellation token: the
// first signal asks training to stop after the step in progress (it then writes a checkpoint and the
// app exits 130, 143 or 129, the shell's codes for death by those signals); a second one is left to
// the runtime and ends the process at once. The engine keeps the OpenCL runtime from taking these
// signals over when it opens a device (Engine/TerminationSignals.cs).
using System.Runtime.InteropServices;

namespace Activations.Training.Cli;

public sealed class StopSignals : IDisposable
{
    public const int InterruptExit = 130, TerminateExit = 143, HangUpExit = 129;

    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration[] _registrations;
    private readonly TextWriter _log;
    private int _signal;

    public StopSignals(TextWriter log)
    {
        _log = log;
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal),
        ];
    }

    public CancellationToken Token => _cts.Token;

    /// <summary>130 after SIGINT, 143 after SIGTERM, 129 after SIGHUP (130 if cancelled otherwise).</summary>
    public int ExitCode => _signal == (int)PosixSignal.SIGTERM ? TerminateExit : _signal == (int)PosixSignal.SIGHUP ? HangUpExit : InterruptExit;

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.CompareExchange(ref _signal, (int)context.Signal, 0) != 0) return; // second signal: default action
        context.Cancel = true;
        string name = context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : context.Signal == PosixSignal.SIGHUP ? "SIGHUP" : "Ctrl-C";
        _log.WriteLine($"{name}: stopping after the current step and writing a checkpoint (send it again to quit at once)");
        _cts.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cts.Dispose();
    }
}
