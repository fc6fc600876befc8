using System.Collections.Immutable;
using Yolo4Convert.Detection;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Tests.Detection;

public sealed class YoloDecoderTests
{
    private static Tensor Head(int classes, Action<Func<int, int, int, int, int>> fill, out float[] data)
    {
        var t = new Tensor(new TensorShape(classes + 5, 2, 2));
        data = t.Data;
        fill((entry, row, col, _) => (((entry * 2) + row) * 2) + col);
        return t;
    }

    [Fact]
    public void Decode_Yolo_AppliesScaleXYAndExpAnchors()
    {
        var head = new HeadSpec("h", "yolo", 1, [20f, 40f], 1.2f, NewCoords: false, Softmax: false);
        var t = Head(1, _ => { }, out var d);
        static int I(int e, int r, int c) => (((e * 2) + r) * 2) + c;
        d[I(0, 1, 0)] = 0.5f;   // tx
        d[I(1, 1, 0)] = -0.25f; // ty
        d[I(2, 1, 0)] = 0.3f;   // tw
        d[I(3, 1, 0)] = -0.2f;  // th
        d[I(4, 1, 0)] = 3f;     // objectness
        d[I(5, 1, 0)] = 2f;     // class 0
        for (var cell = 0; cell < 4; cell++)
        {
            if (cell != 2)
            {
                d[(4 * 4) + cell] = -10f;
            }
        }

        var box = Assert.Single(YoloDecoder.Decode(head, t, 64, 32, 0.25f));

        static float S(float v) => 1f / (1f + MathF.Exp(-v));
        Assert.Equal((0 + (S(0.5f) * 1.2f) - 0.1f) / 2, box.X, 6);
        Assert.Equal((1 + (S(-0.25f) * 1.2f) - 0.1f) / 2, box.Y, 6);
        Assert.Equal(MathF.Exp(0.3f) * 20 / 64, box.Width, 6);
        Assert.Equal(MathF.Exp(-0.2f) * 40 / 32, box.Height, 6);
        Assert.Equal(S(3f) * S(2f), box.Confidence, 6);
    }

    [Fact]
    public void Decode_NewCoords_UsesSquaredWidthWithoutSigmoid()
    {
        var head = new HeadSpec("h", "yolo", 1, [20f, 40f], 2f, NewCoords: true, Softmax: false);
        var t = Head(1, _ => { }, out var d);
        for (var cell = 0; cell < 4; cell++)
        {
            d[cell] = 0.5f;
            d[4 + cell] = 0.5f;
            d[8 + cell] = 0.25f;
            d[12 + cell] = 0.5f;
            d[16 + cell] = 0.9f;
            d[20 + cell] = 0.8f;
        }

        var boxes = YoloDecoder.Decode(head, t, 64, 64, 0.5f);

        Assert.Equal(4, boxes.Count);
        var first = boxes[0];
        Assert.Equal((0 + (0.5f * 2f) - 0.5f) / 2, first.X, 6);
        Assert.Equal(4 * 0.25f * 0.25f * 20 / 64, first.Width, 6);
        Assert.Equal(4 * 0.5f * 0.5f * 40 / 64, first.Height, 6);
        Assert.Equal(0.9f * 0.8f, first.Confidence, 6);
    }

    [Fact]
    public void Decode_Region_UsesGridAnchorsAndSoftmaxClasses()
    {
        // yolov2: anchors in grid cells, sigmoid x/y/objectness, softmax over the classes.
        var head = new HeadSpec("h", "region", 2, [1.5f, 3f], 1f, NewCoords: false, Softmax: true);
        var t = new Tensor(new TensorShape(7, 2, 2));
        static int I(int e, int cell) => (e * 4) + cell;
        for (var cell = 0; cell < 4; cell++)
        {
            t.Data[I(4, cell)] = -10f;
        }

        t.Data[I(0, 3)] = 0.2f;
        t.Data[I(2, 3)] = 0.1f;
        t.Data[I(4, 3)] = 4f;
        t.Data[I(5, 3)] = 1f;
        t.Data[I(6, 3)] = 3f;

        var box = Assert.Single(YoloDecoder.Decode(head, t, 416, 416, 0.5f));

        static float S(float v) => 1f / (1f + MathF.Exp(-v));
        var softmax = MathF.Exp(3f) / (MathF.Exp(1f) + MathF.Exp(3f));
        Assert.Equal(1, box.ClassId);
        Assert.Equal(S(4f) * softmax, box.Confidence, 6);
        Assert.Equal((1 + S(0.2f)) / 2, box.X, 6);
        Assert.Equal(MathF.Exp(0.1f) * 1.5f / 2, box.Width, 6);
    }

    [Fact]
    public void Nms_SuppressesOverlapsOfTheSameClassOnly()
    {
        var boxes = new[]
        {
            new Yolo4Convert.Detection.Detection(0, 0.9f, 0.5f, 0.5f, 0.2f, 0.2f),
            new Yolo4Convert.Detection.Detection(0, 0.8f, 0.51f, 0.5f, 0.2f, 0.2f),
            new Yolo4Convert.Detection.Detection(1, 0.7f, 0.51f, 0.5f, 0.2f, 0.2f),
            new Yolo4Convert.Detection.Detection(0, 0.6f, 0.1f, 0.1f, 0.1f, 0.1f),
        };

        var kept = YoloDecoder.Nms(boxes, 0.45f);

        Assert.Equal([0.9f, 0.7f, 0.6f], kept.Select(k => k.Confidence));
    }
}
