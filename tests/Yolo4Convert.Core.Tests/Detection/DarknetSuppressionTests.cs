using Yolo4Convert.Detection;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Tests.Detection;

public sealed class DarknetSuppressionTests
{
    private static readonly DarknetNms Greedy = new(DarknetNmsKind.Greedy, 0.6f);

    // A stronger box and a weaker one nested inside it, off centre: IoU 0.4706, DIoU (exponent 0.6) 0.4290.
    private static readonly Yolo4Convert.Detection.Detection Strong = new(0, 0.9f, 0.5f, 0.5f, 0.2f, 0.2f);
    private static readonly Yolo4Convert.Detection.Detection Nested = new(0, 0.8f, 0.52f, 0.5f, 0.1372f, 0.1372f);

    [Fact]
    public void Overlap_HandMadeBoxes_AreIou047AndDiou043()
    {
        Assert.Equal(0.4706, DarknetSuppression.Overlap(DarknetNms.Default, Strong, Nested), 3);
        Assert.Equal(0.4290, DarknetSuppression.Overlap(Greedy, Strong, Nested), 3);
    }

    [Fact]
    public void Nms_BoxWithIou047AndDiou043_IsKeptByGreedyNmsAndDroppedByIouNms()
    {
        var greedy = YoloDecoder.Nms([Strong, Nested], 0.45f, Greedy);
        var iou = YoloDecoder.Nms([Strong, Nested], 0.45f, DarknetNms.Default);

        Assert.Equal([Strong, Nested], greedy);
        Assert.Equal([Strong], iou);
    }

    [Fact]
    public void Nms_Diounms_UsesBetaNmsWhereGreedyNmsUsesAFixedExponent()
    {
        // (d²/c²)^1.5 is tiny, so DIoU ≈ IoU = 0.47 > 0.45 and diounms with beta_nms=1.5 drops the box greedynms keeps.
        var diou = YoloDecoder.Nms([Strong, Nested], 0.45f, new DarknetNms(DarknetNmsKind.Diou, 1.5f));
        var greedyWithBeta = YoloDecoder.Nms([Strong, Nested], 0.45f, new DarknetNms(DarknetNmsKind.Greedy, 1.5f));

        Assert.Equal([Strong], diou);
        Assert.Equal([Strong, Nested], greedyWithBeta);
    }

    [Fact]
    public void Nms_Cornersnms_DecidesAsIou()
    {
        Assert.Equal([Strong], YoloDecoder.Nms([Strong, Nested], 0.45f, new DarknetNms(DarknetNmsKind.Corners, 0.6f)));
    }

    [Theory]
    [InlineData(DarknetNmsKind.Default, 0.6f, 1)]
    [InlineData(DarknetNmsKind.Greedy, 0.6f, 2)]
    [InlineData(DarknetNmsKind.Diou, 0.6f, 3)]
    [InlineData(DarknetNmsKind.Diou, 0.9f, 4)]
    [InlineData(DarknetNmsKind.Corners, 0.6f, 5)]
    public void Nms_RandomBoxesOfManyClasses_KeepsWhatDarknetsDiounmsSortKeeps(DarknetNmsKind kind, float beta, int seed)
    {
        var nms = new DarknetNms(kind, beta);
        var (dets, candidates) = RandomDetections(400, 5, 0.25f, seed);

        var expected = DarknetBoxC.Suppress(dets, 5, 0.45f, kind, beta);
        var kept = YoloDecoder.Nms(candidates, 0.45f, nms);
        var (capped, _) = CappedNms.Run(candidates, 0.45f, 100_000, nms);

        Assert.Equal(Ordered(expected), Ordered(kept));
        Assert.Equal(Ordered(expected), Ordered(capped));
        Assert.InRange(expected.Count, 20, candidates.Count - 20);
    }

    [Fact]
    public void Nms_RandomBoxes_GreedyNmsKeepsMoreThanIouNms()
    {
        var (_, candidates) = RandomDetections(400, 5, 0.25f, 9);

        Assert.True(YoloDecoder.Nms(candidates, 0.45f, Greedy).Count > YoloDecoder.Nms(candidates, 0.45f, DarknetNms.Default).Count);
    }

    private static List<(int, float, float, float, float, float)> Ordered(IEnumerable<Yolo4Convert.Detection.Detection> d) =>
        [.. d.Select(x => (x.ClassId, x.Confidence, x.X, x.Y, x.Width, x.Height)).Order()];

    // Boxes with a probability per class (0 below the threshold, as get_yolo_detections leaves them), clustered so
    // that many overlap; the candidates are what YoloDecoder.Decode yields: one per box and class above the threshold.
    private static (List<DarknetBoxC.Det> Dets, List<Yolo4Convert.Detection.Detection> Candidates) RandomDetections(int count, int classes, float threshold, int seed)
    {
        var random = new Random(seed);
        var dets = new List<DarknetBoxC.Det>();
        for (var i = 0; i < count; i++)
        {
            var cluster = random.Next(12);
            var x = (0.1f + (0.07f * cluster)) + (0.04f * (random.NextSingle() - 0.5f));
            var y = (0.5f + (0.3f * MathF.Sin(cluster))) + (0.04f * (random.NextSingle() - 0.5f));
            var w = 0.05f + (0.15f * random.NextSingle());
            var h = 0.05f + (0.25f * random.NextSingle());
            var prob = new float[classes];
            for (var k = 0; k < classes; k++)
            {
                var p = random.NextSingle();
                prob[k] = p > threshold ? p : 0;
            }

            dets.Add(new DarknetBoxC.Det(x, y, w, h, prob.Any(p => p > 0) ? 1f : 0f, prob));
        }

        var candidates = dets.SelectMany(d => d.Prob.Select((p, k) => (p, k)).Where(t => t.p > 0)
            .Select(t => new Yolo4Convert.Detection.Detection(t.k, t.p, d.X, d.Y, d.W, d.H))).ToList();
        return (dets, candidates);
    }
}

/// <summary>
/// A transcription of Darknet's src/box.c for the tests: box_iou, box_c, box_diou, box_diounms, do_nms_sort and
/// diounms_sort (the swap of zero objectness, per class a sort by the class probability, then zeroing the
/// probability of every later box the measure exceeds the threshold with).
/// </summary>
internal static class DarknetBoxC
{
    internal sealed record Det(float X, float Y, float W, float H, float Objectness, float[] Prob);

    public static List<Yolo4Convert.Detection.Detection> Suppress(IReadOnlyList<Det> input, int classes, float thresh, DarknetNmsKind kind, float beta1)
    {
        var dets = input.Select(d => d with { Prob = (float[])d.Prob.Clone() }).ToArray();
        var k = dets.Length - 1;
        for (var i = 0; i <= k; ++i)
        {
            if (dets[i].Objectness == 0)
            {
                (dets[i], dets[k]) = (dets[k], dets[i]);
                --k;
                --i;
            }
        }

        var total = k + 1;
        for (k = 0; k < classes; ++k)
        {
            var sortClass = k;
            Array.Sort(dets, 0, total, Comparer<Det>.Create((a, b) => b.Prob[sortClass].CompareTo(a.Prob[sortClass])));
            for (var i = 0; i < total; ++i)
            {
                if (dets[i].Prob[k] == 0)
                {
                    continue;
                }

                for (var j = i + 1; j < total; ++j)
                {
                    var (a, b) = (dets[i], dets[j]);
                    var drop = kind switch
                    {
                        DarknetNmsKind.Default or DarknetNmsKind.Corners => BoxIou(a, b) > thresh,
                        DarknetNmsKind.Greedy => BoxDiou(a, b, 0.6) > thresh,
                        _ => BoxDiou(a, b, beta1) > thresh,
                    };
                    if (drop)
                    {
                        dets[j].Prob[k] = 0;
                    }
                }
            }
        }

        return [.. dets.SelectMany(d => d.Prob.Select((p, c) => (p, c)).Where(t => t.p > 0)
            .Select(t => new Yolo4Convert.Detection.Detection(t.c, t.p, d.X, d.Y, d.W, d.H)))];
    }

    private static float Overlap(float x1, float w1, float x2, float w2)
    {
        float l1 = x1 - (w1 / 2), l2 = x2 - (w2 / 2);
        var left = l1 > l2 ? l1 : l2;
        float r1 = x1 + (w1 / 2), r2 = x2 + (w2 / 2);
        var right = r1 < r2 ? r1 : r2;
        return right - left;
    }

    private static float BoxIou(Det a, Det b)
    {
        var w = Overlap(a.X, a.W, b.X, b.W);
        var h = Overlap(a.Y, a.H, b.Y, b.H);
        var i = w < 0 || h < 0 ? 0 : w * h;
        var u = (a.W * a.H) + (b.W * b.H) - i;
        return i == 0 || u == 0 ? 0 : i / u;
    }

    private static float BoxDiou(Det a, Det b, double beta)
    {
        var top = (float)Math.Min((double)(a.Y - (a.H / 2)), b.Y - (b.H / 2));
        var bot = (float)Math.Max((double)(a.Y + (a.H / 2)), b.Y + (b.H / 2));
        var left = (float)Math.Min((double)(a.X - (a.W / 2)), b.X - (b.W / 2));
        var right = (float)Math.Max((double)(a.X + (a.W / 2)), b.X + (b.W / 2));
        float w = right - left, h = bot - top;
        var c = (w * w) + (h * h);
        var iou = BoxIou(a, b);
        if (c == 0)
        {
            return iou;
        }

        var d = ((a.X - b.X) * (a.X - b.X)) + ((a.Y - b.Y) * (a.Y - b.Y));
        return iou - (float)Math.Pow(d / c, beta);
    }
}
