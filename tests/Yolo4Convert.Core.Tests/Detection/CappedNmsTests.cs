using Yolo4Convert.Detection;

namespace Yolo4Convert.Tests.Detection;

public sealed class CappedNmsTests
{
    // Overlapping boxes of a few classes with distinct confidences, so the order of the result is unique.
    private static List<Yolo4Convert.Detection.Detection> Candidates(int count, int seed)
    {
        var random = new Random(seed);
        var confidences = Enumerable.Range(1, count).Select(i => i / (float)(count + 1)).OrderBy(_ => random.Next()).ToList();
        return [.. confidences.Select(c => new Yolo4Convert.Detection.Detection(
            random.Next(4), c, random.NextSingle(), random.NextSingle(), 0.05f + (0.3f * random.NextSingle()), 0.05f + (0.3f * random.NextSingle())))];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Run_WithoutReachingTheCap_KeepsWhatPlainNmsKeeps(int seed)
    {
        var candidates = Candidates(2000, seed);
        var expected = YoloDecoder.Nms(candidates, 0.45f);

        var (kept, capped) = CappedNms.Run(candidates, 0.45f, 100_000);

        Assert.False(capped);
        Assert.Equal(expected, kept);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 10)]
    [InlineData(3, 57)]
    public void Run_WithACap_KeepsThePlainNmsResultsStrongestFirstUpToTheCap(int seed, int max)
    {
        var candidates = Candidates(2000, seed);
        var expected = YoloDecoder.Nms(candidates, 0.45f);
        Assert.True(expected.Count > max);

        var (kept, capped) = CappedNms.Run(candidates, 0.45f, max);

        Assert.True(capped);
        Assert.Equal(expected.Take(max), kept);
    }

    [Fact]
    public void Run_ExactlyAsManyAsTheCap_IsNotCapped()
    {
        var candidates = Candidates(500, 4);
        var all = YoloDecoder.Nms(candidates, 0.45f);

        var (kept, capped) = CappedNms.Run(candidates, 0.45f, all.Count);

        Assert.False(capped);
        Assert.Equal(all, kept);
    }
}
