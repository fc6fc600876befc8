using System.Collections.Immutable;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Runtime;

/// <summary>The interface of a loaded .mlmodel: its image input, its multi-array outputs and its metadata.</summary>
public sealed record ModelInfo(
    string InputName, int Width, int Height, bool Grayscale, bool Bgr,
    ImmutableArray<(string Name, TensorShape Shape)> Outputs,
    int SpecificationVersion,
    ImmutableDictionary<string, string> UserDefined,
    string ShortDescription);
