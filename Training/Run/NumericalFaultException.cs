namespace Activations.Training.Run;

/// <summary>A NaN or ±Inf appeared in the loss, a gradient or a parameter; the message says where.</summary>
public sealed class NumericalFaultException(string message) : Exception(message);
