using System.Globalization;

namespace Yolo4Convert.Cli;

/// <summary>
/// A sign of life for long runs: one stderr line, rewritten in place four times a second with the current step and
/// the elapsed time, and erased at the end. It is shown only when stderr is a terminal and the run is not under
/// <c>--json</c>, so logs and scripts never see it.
/// </summary>
internal sealed class ProgressLine : IDisposable
{
    private readonly TextWriter? _error;
    private readonly string _command;
    private readonly Timer? _timer;
    private readonly DateTime _start = DateTime.UtcNow;
    private readonly Lock _gate = new();
    private string _step = string.Empty;
    private int _width;

    private ProgressLine(TextWriter? error, string command)
    {
        _error = error;
        _command = command;
        if (error is not null)
        {
            _timer = new Timer(_ => Draw(), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
        }
    }

    /// <summary>A progress line on <paramref name="error"/> if it is the console's stderr, a terminal, and <paramref name="json"/> is off.</summary>
    public static ProgressLine Start(TextWriter error, bool json, string command)
    {
        var terminal = !json && ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;
        return new ProgressLine(terminal ? error : null, command);
    }

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
            if (_step.Length == 0)
            {
                return;
            }

            var seconds = (DateTime.UtcNow - _start).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
            var text = $"{_command}: {_step}… {seconds} s";
            _error.Write("\r" + text.PadRight(_width));
            _error.Flush();
            _width = Math.Max(_width, text.Length);
        }
    }
}
