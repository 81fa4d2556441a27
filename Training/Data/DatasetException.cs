// The one exception type the data loaders throw for a bad data set: a missing, truncated, corrupt or
// unexpected file. Its message is one line that names the file (and the entry inside an archive) and
// says what is wrong, so a user can act on it without a stack trace.
namespace Activations.Training.Data;

public sealed class DatasetException : Exception
{
    public DatasetException(string message) : base(message) { }

    public DatasetException(string message, Exception inner) : base(message, inner) { }
}
