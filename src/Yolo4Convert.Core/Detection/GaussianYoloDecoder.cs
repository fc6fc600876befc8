using Yolo4Convert.Numerics;

namespace Yolo4Convert.Detection;

/// <summary>
/// Darknet's decoding of a raw [Gaussian_yolo] head: forward_gaussian_yolo_layer's activations, then
/// get_gaussian_yolo_detections and get_gaussian_yolo_box (src/gaussian_yolo_layer.c). Per anchor the entries are
/// x, σx, y, σy, w, σw, h, σh, objectness, classes. x, y and their uncertainties go through σ and then s·v − (s−1)/2
/// (s = scale_x_y); σw, σh, objectness and classes through σ; w and h through e^t times the anchor over the input size.
/// A candidate whose objectness is at most the threshold is skipped; a class's probability is
/// objectness × class × (1 − mean of the four uncertainties), kept when above the threshold.
/// </summary>
public static class GaussianYoloDecoder
{
    /// <summary>Decodes one head into candidate boxes whose class probability exceeds <paramref name="threshold"/>.</summary>
    public static List<Detection> Decode(HeadSpec head, Tensor raw, int netWidth, int netHeight, float threshold)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(raw);
        var entries = head.Classes + 9;
        if (raw.C != head.AnchorCount * entries)
        {
            throw new ArgumentException($"head '{head.OutputName}' has {raw.C} channels; its metadata describes {head.AnchorCount} anchors × {entries}", nameof(raw));
        }

        var result = new List<Detection>();
        var plane = raw.H * raw.W;
        var s = head.ScaleXY;
        var offset = -0.5f * (s - 1f);
        float At(int anchor, int entry, int cell) => raw.Data[(((anchor * entries) + entry) * plane) + cell];
        float Centred(float v) => (YoloDecoder.Sigmoid(v) * s) + offset;

        // As YoloDecoder lists them: anchor by anchor, cell by cell, class by class.
        for (var a = 0; a < head.AnchorCount; a++)
        {
            for (var cell = 0; cell < plane; cell++)
            {
                int row = cell / raw.W, col = cell % raw.W;
                var objectness = YoloDecoder.Sigmoid(At(a, 8, cell));
                if (objectness <= threshold)
                {
                    continue;
                }

                var x = (col + Centred(At(a, 0, cell))) / raw.W;
                var y = (row + Centred(At(a, 2, cell))) / raw.H;
                var w = MathF.Exp(At(a, 4, cell)) * head.Anchors[2 * a] / netWidth;
                var h = MathF.Exp(At(a, 6, cell)) * head.Anchors[(2 * a) + 1] / netHeight;
                var uncertainty = (Centred(At(a, 1, cell)) + Centred(At(a, 3, cell)) + YoloDecoder.Sigmoid(At(a, 5, cell)) + YoloDecoder.Sigmoid(At(a, 7, cell))) / 4f;
                for (var k = 0; k < head.Classes; k++)
                {
                    var probability = objectness * YoloDecoder.Sigmoid(At(a, 9 + k, cell)) * (1f - uncertainty);
                    if (probability > threshold)
                    {
                        result.Add(new Detection(k, probability, x, y, w, h));
                    }
                }
            }
        }

        return result;
    }
}
