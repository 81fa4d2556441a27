namespace Activations.Training.Run;

/// <summary>Shows training progress: the loop runs inside <see cref="RunEpoch"/>.</summary>
public interface ITrainingProgress
{
    /// <summary>Runs <paramref name="body"/>, which reports (steps done, loss if cheap to show).</summary>
    void RunEpoch(int epoch, int epochs, int steps, Action<Action<int, Func<float>?>> body);

    /// <summary>Whether the body should read the loss for display every few steps.</summary>
    bool WantsLoss { get; }
}
