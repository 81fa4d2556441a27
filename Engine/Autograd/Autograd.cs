// Switches of the autograd engine: the no-grad scope used for evaluation.
namespace Activations.Engine.Autograd;

public static class GradMode
{
    [ThreadStatic] private static int _noGradDepth;

    /// <summary>True unless inside a <see cref="NoGrad"/> scope on this thread.</summary>
    public static bool IsEnabled => _noGradDepth == 0;

    /// <summary>Within the returned scope, ops record no graph (evaluation, optimizer updates).</summary>
    public static IDisposable NoGrad()
    {
        _noGradDepth++;
        return new Exit();
    }

    private sealed class Exit : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            _noGradDepth--;
        }
    }
}
