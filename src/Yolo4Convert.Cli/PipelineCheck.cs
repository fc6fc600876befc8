using Yolo4Convert.Detection;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Numerics;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Cli;

/// <summary>verify on a detector pipeline: its decoded rows (before NMS) against Darknet's decode of the reference heads.</summary>
internal static class PipelineCheck
{
    public sealed record Result(int Boxes, DecodedDifference Difference);

    public static Result Compare(PipelineRuntime pipeline, IReadOnlyDictionary<string, Tensor> outputs, IReadOnlyDictionary<int, Tensor> reference)
    {
        var info = pipeline.Info;
        var heads = HeadSpec.FromMetadata(info);
        var expectedHeads = heads.ToDictionary(h => h.OutputName, h => reference[VerifyComparison.LayerOf(info, h.OutputName)]);
        var (confidence, coordinates) = DecodedRows.FromHeads(heads, expectedHeads, info.Width, info.Height);
        var actualConfidence = outputs[pipeline.DecodedNames[0]];
        var actualCoordinates = outputs[pipeline.DecodedNames[1]];
        if (actualConfidence.Data.Length != confidence.Length || actualCoordinates.Data.Length != coordinates.Length)
        {
            throw new DarknetFormatException(
                $"the model decodes {actualCoordinates.C} boxes of {actualConfidence.H} classes; the cfg's heads give {coordinates.Length / 4} boxes of {heads[0].Classes} classes.", null,
                "pass the cfg the model was converted from.");
        }

        return new Result(coordinates.Length / 4, DecodedRows.Compare(actualConfidence.Data, actualCoordinates.Data, confidence, coordinates));
    }
}
