namespace Yolo4Convert.Diagnostics;

/// <summary>
/// The root of every error yolo4convert reports to a user. The message is one line of the form
/// <c>file:line:col: error: what was found; what was expected. hint</c>.
/// </summary>
public class Yolo4ConvertException : Exception
{
    public Yolo4ConvertException(string message, SourceLocation? location = null, string? hint = null, Exception? inner = null)
        : base(Format(message, location, hint), inner)
    {
        Location = location;
        Detail = message;
        Hint = hint;
    }

    /// <summary>Where the problem is, if it has a place in an input file.</summary>
    public SourceLocation? Location { get; }

    /// <summary>The message without location and hint.</summary>
    public string Detail { get; }

    /// <summary>What the user can do about it.</summary>
    public string? Hint { get; }

    private static string Format(string message, SourceLocation? location, string? hint)
    {
        var text = location is null ? $"error: {message}" : $"{location}: error: {message}";
        return hint is null ? text : $"{text} Hint: {hint}";
    }
}

/// <summary>A Darknet input that is malformed or inconsistent: a cfg that Darknet would reject, weights that do not match the cfg.</summary>
public sealed class DarknetFormatException(string message, SourceLocation? location = null, string? hint = null)
    : Yolo4ConvertException(message, location, hint);

/// <summary>Valid input that a target (Core ML, Keras, the runtime) cannot express exactly.</summary>
public sealed class UnsupportedFeatureException(string message, SourceLocation? location = null, string? hint = null)
    : Yolo4ConvertException(message, location, hint);

/// <summary>A model file yolo4convert reads (.mlmodel, .mlpackage, .h5) that is damaged or not one it can read, its metadata included.</summary>
public sealed class ModelFormatException(string message, SourceLocation? location = null, string? hint = null)
    : Yolo4ConvertException(message, location, hint);

/// <summary>An image that cannot be decoded or is out of bounds.</summary>
public sealed class ImageFormatException(string message, SourceLocation? location = null, string? hint = null)
    : Yolo4ConvertException(message, location, hint);

/// <summary>A class names file that does not fit the model.</summary>
public sealed class NamesFormatException(string message, SourceLocation? location = null, string? hint = null)
    : Yolo4ConvertException(message, location, hint);
