using Activations.Training.Run;

namespace Activations.Training.Study;

/// <summary>
/// Trains <paramref name="config"/> writing whatever it likes into <paramref name="runFolder"/>
/// (which exists; after an interruption it still holds what the previous attempt left, e.g. a
/// checkpoint to resume from) and returns the per-epoch metrics. Throwing marks the run failed;
/// OperationCanceledException stops the grid and leaves the run unfinished. The study code never
/// trains anything itself: the app passes a TrainFunction (AppTrainFunction).
/// </summary>
public delegate RunResult TrainFunction(RunConfig config, string runFolder, CancellationToken cancellation);
