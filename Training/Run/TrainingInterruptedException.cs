namespace Activations.Training.Run;

/// <summary>Training stopped on request after a step; the checkpoint (if any) resumes it.</summary>
public sealed class TrainingInterruptedException(string message, string? checkpoint) : OperationCanceledException(message)
{
    public string? Checkpoint { get; } = checkpoint;
}
