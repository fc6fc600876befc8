namespace Yolo4Convert.Diagnostics;

/// <summary>
/// Something suspicious in an input that Darknet accepts (an unknown key, a NaN weight): reported, not fatal,
/// unless the reader runs in strict mode. One line: <c>file:line:col: warning: what. Hint: what to do</c>.
/// </summary>
public sealed record Yolo4ConvertWarning(string Message, SourceLocation? Location = null, string? Hint = null)
{
    /// <inheritdoc/>
    public override string ToString()
    {
        var text = Location is null ? $"warning: {Message}" : $"{Location}: warning: {Message}";
        return Hint is null ? text : $"{text} Hint: {Hint}";
    }
}

/// <summary>
/// The warnings channel the readers fill and the caller prints. With <see cref="Strict"/> the first warning is
/// thrown as a <see cref="DarknetFormatException"/> instead.
/// </summary>
public sealed class WarningLog
{
    /// <summary>Warnings kept in <see cref="Items"/>; later ones are only counted, so a hostile input cannot fill memory.</summary>
    public const int MaxKept = 100;

    private readonly List<Yolo4ConvertWarning> _items = [];

    /// <summary>Turns every warning into an error.</summary>
    public bool Strict { get; init; }

    /// <summary>The first <see cref="MaxKept"/> warnings, in the order they were found.</summary>
    public IReadOnlyList<Yolo4ConvertWarning> Items => _items;

    /// <summary>How many warnings were reported, kept or not.</summary>
    public long Count { get; private set; }

    /// <summary>Records a warning, or throws it as an error in strict mode.</summary>
    public void Add(string message, SourceLocation? location, string? hint = null)
    {
        if (Strict)
        {
            throw new DarknetFormatException($"{message} (an error under --strict)", location, hint);
        }

        Count++;
        if (_items.Count < MaxKept)
        {
            _items.Add(new Yolo4ConvertWarning(message, location, hint));
        }
    }
}
