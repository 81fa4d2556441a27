// The one exception the MNIST readers and the data locator throw for a data file that is missing,
// unreadable, truncated, corrupt or not what it claims to be. The message is one line naming the
// file and the problem, so the app can print it as `error: …` without a stack trace.
namespace Activations.Training.Data;

public sealed class DataFormatException : Exception
{
    public DataFormatException(string message) : base(message) { }

    public DataFormatException(string message, Exception inner) : base(message, inner) { }
}
