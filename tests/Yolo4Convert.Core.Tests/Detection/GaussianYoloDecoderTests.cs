using System.Collections.Immutable;
using Yolo4Convert.Detection;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Yolo4Convert.Tests.Runtime;

namespace Yolo4Convert.Tests.Detection;

/// <summary>`detect`'s decode of a gaussian_yolo head against get_gaussian_yolo_detections as the test writes it out.</summary>
public sealed class GaussianYoloDecoderTests
{
    [Theory]
    [InlineData(1f, 0.25f)]
    [InlineData(1.2f, 0.3f)]
    public void Decode_GaussianHead_IsDarknetsDetectionsAboveTheThreshold(float scaleXY, float threshold)
    {
        const int Classes = 3, Anchors = 2, H = 4, W = 5;
        var raw = new Tensor(new TensorShape(Anchors * (Classes + 9), H, W));
        var random = new Random(5);
        for (var i = 0; i < raw.Data.Length; i++)
        {
            raw.Data[i] = (float)((random.NextDouble() * 6) - 3);
        }

        ImmutableArray<float> all = [10f, 14f, 23f, 27f, 37f, 58f];
        var layer = new GaussianYoloLayer(1, [0], Yolo4Convert.Diagnostics.SourceLocation.Text("t.cfg", 1), Classes, all, [2, 0], scaleXY);
        var spec = new HeadSpec("h", "gaussian_yolo", Classes, [37f, 58f, 10f, 14f], scaleXY, NewCoords: false, Softmax: false);

        var decoded = YoloDecoder.Decode(spec, raw, 160, 128, threshold);

        // Darknet: a candidate is skipped when objectness <= thresh; a class is kept when its probability > thresh.
        var (confidence, boxes) = GaussianYoloParityTests.GaussianDetections(layer, raw, 160, 128);
        var expected = new List<(int Candidate, int Class)>();
        for (var candidate = 0; candidate < H * W * Anchors; candidate++)
        {
            var (cell, anchor) = (candidate / Anchors, candidate % Anchors);
            var objectness = 1 / (1 + Math.Exp(-raw.Data[(((anchor * (Classes + 9)) + 8) * H * W) + cell]));
            for (var k = 0; k < Classes; k++)
            {
                if (objectness > threshold && confidence[(candidate * Classes) + k] > threshold)
                {
                    expected.Add((candidate, k));
                }
            }
        }

        Assert.InRange(expected.Count, 5, (H * W * Anchors * Classes) - 5);
        Assert.Equal(expected.Count, decoded.Count);
        foreach (var (candidate, k) in expected)
        {
            var box = boxes.AsSpan(candidate * 4, 4).ToArray();
            var match = Assert.Single(decoded, d => d.ClassId == k && Math.Abs(d.X - box[0]) < 1e-6 && Math.Abs(d.Y - box[1]) < 1e-6);
            Assert.Equal(confidence[(candidate * Classes) + k], match.Confidence, 1e-5f);
            Assert.Equal(box[2], match.Width, box[2] * 1e-5f);
            Assert.Equal(box[3], match.Height, box[3] * 1e-5f);
        }
    }
}
