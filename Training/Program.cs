// Entry point of the `activations` command-line app; everything happens in Cli/CommandLine.
using Activations.Training.Cli;

namespace Activations.Training;

public static class Program
{
    public static int Main(string[] args) =>
        CommandLine.Run(args, new Console2(Console.Out, Console.Error, Interactive: !Console.IsOutputRedirected));
}
