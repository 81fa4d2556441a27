namespace Activations.Training.Run;

/// <summary>No live display (output is not a terminal): only the per-epoch lines.</summary>
public sealed class NoProgress : ITrainingProgress
{
    public bool WantsLoss => false;
    public void RunEpoch(int epoch, int epochs, int steps, Action<Action<int, Func<float>?>> body) => body((_, _) => { });
}
