using System.Collections.Immutable;
using Yolo4Convert.Ir;
using Yolo4Convert.MetadataContract;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Detection;

/// <summary>How to decode one raw head, read back from the model's metadata (never hard-coded).</summary>
public sealed record HeadSpec(
    string OutputName, string Type, int Classes, ImmutableArray<float> Anchors, float ScaleXY, bool NewCoords, bool Softmax)
{
    /// <summary>Anchor boxes of this head: pixels for [yolo] and [Gaussian_yolo], grid cells for [region].</summary>
    public int AnchorCount => Anchors.Length / 2;

    /// <summary>Whether this is a [Gaussian_yolo] head (type "gaussian_yolo": 9 + K entries per anchor).</summary>
    public bool Gaussian => Type == HeadKinds.MetadataName(HeadKind.GaussianYolo);

    /// <summary>The entries per anchor.</summary>
    public int Entries => Classes + (Gaussian ? 9 : 5);

    /// <summary>The decoding parameters of a head the metadata describes.</summary>
    public static HeadSpec From(StoredHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        return new(head.OutputName, head.KindName, head.Classes, head.Anchors, head.ScaleXY,
            head.Kind == HeadKind.Yolo && head.NewCoords, head.Kind == HeadKind.Region && head.Softmax);
    }

    /// <summary>
    /// Reads every head's decoding parameters from a model's userDefined metadata (<see cref="ModelMetadata.Read(ModelInfo)"/>),
    /// checked against the model's outputs, so decoding cannot misread.
    /// </summary>
    public static ImmutableArray<HeadSpec> FromMetadata(ModelInfo info) => [.. ModelMetadata.Read(info).Heads.Select(From)];
}
