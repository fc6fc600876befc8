namespace Yolo4Convert.Cli.Tests;

/// <summary>Labels of drawn boxes: never on top of each other, never outside the image, the strongest in its own spot.</summary>
public sealed class LabelPlacementTests
{
    private static void AssertDisjointAndInside(IReadOnlyList<ImageBox?> placed, int width, int height)
    {
        Assert.All(placed, r => Assert.NotNull(r));
        var rects = placed.Select(r => r!.Value).ToList();
        for (var i = 0; i < rects.Count; i++)
        {
            var r = rects[i];
            Assert.True(r.Left >= 0 && r.Top >= 0 && r.Right <= width && r.Bottom <= height, $"label {i} {r} leaves the {width}x{height} image");
            for (var j = 0; j < i; j++)
            {
                Assert.False(r.Overlaps(rects[j]), $"label {i} {r} covers label {j} {rects[j]}");
            }
        }
    }

    [Fact]
    public void Place_DogAndCatOfDogJpg_DoNotCoverEachOther()
    {
        // The dog (65%) and cat (55%) boxes yolo-fastest finds on dog.jpg (768x576): nearly the same box, so both
        // labels want nearly the same spot above it.
        var dog = new ImageBox(122, 222, 243, 295);
        var cat = new ImageBox(112, 213, 258, 304);
        var (w, h) = (80f, 23f);
        var (dx, dy) = LabelPlacement.Preferred(dog, w, h, 768, 576);
        var (cx, cy) = LabelPlacement.Preferred(cat, w, h, 768, 576);
        Assert.True(new ImageBox(dx, dy, w, h).Overlaps(new ImageBox(cx, cy, w, h))); // each on its own would cover the other

        var rects = LabelPlacement.Place([(dog, w, h), (cat, w, h)], 768, 576);

        AssertDisjointAndInside(rects, 768, 576);
        Assert.Equal(new ImageBox(122, 199, w, h), rects[0]); // the stronger keeps its spot above its box
        Assert.Equal(112, rects[1]!.Value.Left); // the weaker stays in its box's column
    }

    [Fact]
    public void Place_ManyLabelsOnOneBoxAtTheTopEdge_StackDownInsideTheImage()
    {
        var box = new ImageBox(-30, 2, 120, 150);
        var labels = Enumerable.Range(0, 8).Select(i => (box, 70f + i, 18f)).ToList();

        var rects = LabelPlacement.Place(labels, 200, 160);

        AssertDisjointAndInside(rects, 200, 160);
        Assert.Equal([2f, 20f, 38f, 56f, 74f, 92f, 110f, 128f], rects.Select(r => r!.Value.Top));
        Assert.All(rects, r => Assert.Equal(0, r!.Value.Left));
    }

    [Fact]
    public void Place_BoxAtTheBottomRightCorner_LabelAboveItInsideTheImage()
    {
        var rects = LabelPlacement.Place([(new ImageBox(180, 190, 20, 10), 50f, 20f)], 200, 200);

        Assert.Equal(new ImageBox(150, 170, 50, 20), rects[0]);
    }

    [Fact]
    public void Place_ScatteredOverlappingBoxes_NoLabelCoversAnother()
    {
        var random = new Random(7);
        var labels = Enumerable.Range(0, 40).Select(_ =>
        {
            var box = new ImageBox(random.Next(-40, 600), random.Next(-40, 440), random.Next(10, 200), random.Next(10, 200));
            return (box, (float)random.Next(40, 160), 20f);
        }).ToList();

        var rects = LabelPlacement.Place(labels, 640, 480);

        AssertDisjointAndInside(rects, 640, 480);
        Assert.Equal(rects, LabelPlacement.Place(labels, 640, 480));
    }

    [Fact]
    public void Place_NoFreeSpotInTheColumn_LeavesThatLabelOut()
    {
        // Two full-width labels fill a 100x40 image; the third has nowhere free and is not drawn.
        var box = new ImageBox(0, 0, 100, 40);
        var rects = LabelPlacement.Place([(box, 100f, 20f), (box, 100f, 20f), (box, 100f, 20f)], 100, 40);

        Assert.Equal([new ImageBox(0, 0, 100, 20), new ImageBox(0, 20, 100, 20), null], rects);
    }

    [Fact]
    public void Place_ThousandsOfLabelsOnASmallImage_StaysFastAndDisjoint()
    {
        var labels = Enumerable.Range(0, 20_000).Select(i => (new ImageBox(i % 90, (i * 7) % 60, 10, 10), 20f + (i % 5), 12f)).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var rects = LabelPlacement.Place(labels, 96, 64);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{clock.Elapsed}");
        var drawn = rects.Where(r => r is not null).Select(r => r!.Value).ToList();
        Assert.InRange(drawn.Count, 10, 40);
        AssertDisjointAndInside([.. drawn.Select(r => (ImageBox?)r)], 96, 64);
    }
}
