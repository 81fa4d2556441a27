// Runs the app's command line in process, capturing stdout, stderr and the exit code.
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
}
