using System.Collections.Immutable;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Runtime;

/// <summary>The interface of a loaded .mlmodel: its image input, its multi-array outputs and its metadata.</summary>
public sealed record ModelInfo(
    string InputName, int Width, int Height, bool Grayscale, bool Bgr,
    ImmutableArray<(string Name, TensorShape Shape)> Outputs,
    int SpecificationVersion,
    ImmutableDictionary<string, string> UserDefined,
    string ShortDescription)
{
    /// <summary>The shape of the pixels a run takes: 1 or 3 channels at the input size.</summary>
    public TensorShape InputShape => new(Grayscale ? 1 : 3, Height, Width);

    /// <summary>Refuses pixels of another shape than <see cref="InputShape"/> (a caller's bug, not a user's input).</summary>
    public void CheckInput(Numerics.Tensor pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Shape != InputShape)
        {
            throw new ArgumentException($"the image is {pixels.Shape}; the model wants {InputShape.C}x{Height}x{Width}", nameof(pixels));
        }
    }
}
