using Yolo4Convert.Runtime;

namespace Yolo4Convert.Detection;

/// <summary>Reads the boxes a detector pipeline returns as detections: one per kept row, labelled with its best class.</summary>
public static class PipelineDetections
{
    /// <summary>Runs the pipeline and lists its boxes; zero rows (padding to a declared shape) are left out.</summary>
    public static List<Detection> Run(PipelineRuntime pipeline, Numerics.Tensor pixels, double? iouThreshold = null, double? confidenceThreshold = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        return FromRows(pipeline.Run(pixels, iouThreshold, confidenceThreshold).Boxes);
    }

    /// <summary>One detection per non-empty row: the argmax class, its confidence and the row's box.</summary>
    public static List<Detection> FromRows(NmsResult boxes)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        var result = new List<Detection>();
        var classes = boxes.Confidence.H;
        for (var r = 0; r < boxes.Rows; r++)
        {
            var row = boxes.Confidence.Data.AsSpan(r * classes, classes);
            var best = 0;
            for (var k = 1; k < classes; k++)
            {
                best = row[k] > row[best] ? k : best;
            }

            if (row[best] <= 0)
            {
                continue;
            }

            var c = boxes.Coordinates.Data.AsSpan(r * 4, 4);
            result.Add(new Detection(best, row[best], c[0], c[1], c[2], c[3]));
        }

        return result;
    }
}
