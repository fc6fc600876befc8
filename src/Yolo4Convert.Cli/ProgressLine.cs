using System.Globalization;

namespace Yolo4Convert.Cli;

/// <summary>
/// A sign of life for long runs: one stderr line, rewritten in place four times a second with the current step and
/// the elapsed time, and erased at the end. It is shown only when stderr is a terminal and the run is not under
/// <c>--json</c>, so logs and scripts never see it; with a delay, only once the run has taken that long, so quick
/// runs print nothing but their result.
/// </summary>
internal sealed class ProgressLine : IDisposable
{
    private readonly TextWriter? _error;
    private readonly string _command;
    private readonly Timer? _timer;
    private readonly DateTime _start = DateTime.UtcNow;
    private readonly Lock _gate = new();
    private readonly TimeSpan _after;
    private string _step = string.Empty;
    private int _width;

    private ProgressLine(TextWriter? error, string command, TimeSpan after)
    {
        _error = error;
        _command = command;
        _after = after;
        if (error is not null)
        {
            _timer = new Timer(_ => Draw(), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
        }
    }

    /// <summary>
    /// A progress line on <paramref name="error"/> if it is the console's stderr, a terminal, and <paramref name="json"/>
    /// is off; drawn from the moment the run has taken <paramref name="after"/> (default: at once).
    /// </summary>
    public static ProgressLine Start(TextWriter error, bool json, string command, TimeSpan after = default)
    {
        var terminal = !json && ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;
        return new ProgressLine(terminal ? error : null, command, after);
    }

    /// <summary>A progress line on <paramref name="error"/>, whatever it is (for tests).</summary>
    internal static ProgressLine On(TextWriter error, string command, TimeSpan after) => new(error, command, after);

    /// <summary>Names the step now running.</summary>
    public void Step(string step)
    {
        lock (_gate)
        {
            _step = step;
        }

        Draw();
    }

    public void Dispose()
    {
        _timer?.Dispose();
        lock (_gate)
        {
            if (_error is not null && _width > 0)
            {
                _error.Write("\r" + new string(' ', _width) + "\r");
                _error.Flush();
            }

            _width = 0;
            _step = string.Empty;
        }
    }

    private void Draw()
    {
        if (_error is null)
        {
            return;
        }

        lock (_gate)
        {
            var elapsed = DateTime.UtcNow - _start;
            if (_step.Length == 0 || elapsed < _after)
            {
                return;
            }

            var seconds = elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
            var text = $"{_command}: {_step}… {seconds} s";
            _error.Write("\r" + text.PadRight(_width));
            _error.Flush();
            _width = Math.Max(_width, text.Length);
        }
    }
}
