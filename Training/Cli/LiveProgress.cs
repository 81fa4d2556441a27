// The live progress bar of an epoch (Spectre.Console), used only when stdout is a terminal.
using Activations.Training.Run;
using Spectre.Console;

namespace Activations.Training.Cli;

public sealed class LiveProgress : ITrainingProgress
{
    public bool WantsLoss => true;

    public void RunEpoch(int epoch, int epochs, int steps, Action<Action<int, Func<float>?>> body)
    {
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"epoch {epoch}/{epochs}", maxValue: steps);
                body((done, loss) =>
                {
                    task.Value = done;
                    if (loss is not null) task.Description = $"epoch {epoch}/{epochs} loss {loss():F4}";
                });
            });
    }
}
