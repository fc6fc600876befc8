using CoreML.Specification;
using Yolo4Convert.CoreML.Precision;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Weights;

namespace Yolo4Convert.Tests.Weights;

/// <summary>One vocabulary of weight formats: names, sizes from counts, spec versions, and what the reader identifies.</summary>
public sealed class WeightFormatTests
{
    public static TheoryData<string> Names => [.. WeightFormat.All.Select(f => f.Name)];

    [Fact]
    public void All_AreTheNamesTheCliOffers()
    {
        Assert.Equal(["fp32", "fp16", "linear8", "kmeans8", "kmeans6", "kmeans4"], WeightFormat.All.Select(f => f.Name));
        Assert.Equal(["fp32", "fp16"], WeightFormat.Floats.Select(f => f.Name));
        Assert.Equal(["linear8", "kmeans8", "kmeans6", "kmeans4"], WeightFormat.Quantized.Select(f => f.Name));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Parse_Name_RoundTripsToTheSameFormat(string name)
    {
        var format = WeightFormat.Parse(name);

        Assert.Equal(name, format.Name);
        Assert.Equal(name, format.ToString());
        Assert.Same(WeightFormat.All.Single(f => f.Name == name), format);
    }

    [Theory]
    [InlineData("lut4")]
    [InlineData("kmeans")]
    [InlineData("kmeans9")]
    [InlineData("kmeans04")]
    [InlineData("FP16")]
    [InlineData("")]
    public void Parse_UnknownName_IsAHintedErrorListingTheNames(string name)
    {
        var ex = Assert.Throws<Yolo4ConvertException>(() => WeightFormat.Parse(name));

        Assert.Contains($"'{name}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("fp32, fp16, linear8, kmeans8, kmeans6, kmeans4", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.Hint);
    }

    [Fact]
    public void Parse_BitCountsTheWriterDoesNotOffer_AreStillFormats()
    {
        Assert.Equal(new WeightFormat.KMeans(2), WeightFormat.Parse("kmeans2"));
        Assert.Equal(new WeightFormat.Linear(4), WeightFormat.Parse("linear4"));
        Assert.Equal(3, WeightFormat.Parse("kmeans2").MinimumSpecVersion);
    }

    [Theory]
    [InlineData("fp32", 1)]
    [InlineData("fp16", 2)]
    [InlineData("linear8", 3)]
    [InlineData("kmeans8", 3)]
    [InlineData("kmeans6", 3)]
    [InlineData("kmeans4", 3)]
    public void MinimumSpecVersion_IsTheCoreMLVersionThatIntroducedTheField(string name, int version) =>
        Assert.Equal(version, WeightFormat.Parse(name).MinimumSpecVersion);

    [Theory]
    [MemberData(nameof(Names))]
    public void SerializedSize_FromCounts_EqualsTheEncodedBytes_AndTheReaderNamesTheFormatBack(string name)
    {
        var format = WeightFormat.Parse(name);
        var random = new Random(11);
        foreach (var (channels, per) in new[] { (1, 1), (3, 7), (64, 27), (255, 1024) })
        {
            var values = new float[channels * per];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (random.NextSingle() - 0.5f) * 4f;
            }

            WeightParams encoded = format.Encode(values, channels, "000_conv", new KMeansQuantizer());

            Assert.Equal(encoded.CalculateSize(), format.SerializedSize(values.Length, channels));
            Assert.Equal(format, WeightFormat.Of(encoded));
            var decoded = format.Decode(encoded, values.Length, channels);
            Assert.Equal(values.Length, decoded.Length);
            Assert.InRange(values.Zip(decoded, (a, b) => Math.Abs(a - b)).Max(), 0, 4f / (1 << Math.Min(format.Bits, 10)));
        }
    }

    [Fact]
    public void Decode_WeightsStoredInAnotherFormat_IsAnInternalError()
    {
        var encoded = WeightFormat.Fp16.Encode([1f, 2f], 1, "000_conv", new KMeansQuantizer());

        Assert.Throws<InvalidOperationException>(() => WeightFormat.Fp32.Decode(encoded, 2, 1));
    }

    [Theory]
    [InlineData("fp32", "fp32,fp32")]
    [InlineData("fp16", "fp32,fp16")]
    [InlineData("kmeans8", "fp16,linear8,kmeans8")]
    [InlineData("kmeans4", "kmeans6,kmeans4,linear8")]
    [InlineData("linear4", "kmeans6,linear4")]
    [InlineData("kmeans4", "linear4,kmeans4")]
    public void Coarsest_PrefersFewerBitsThenATable(string expected, string formats) =>
        Assert.Equal(WeightFormat.Parse(expected), WeightFormat.Coarsest(formats.Split(',').Select(WeightFormat.Parse)));

    [Fact]
    public void Coarsest_OfNothing_IsFloat32() => Assert.Equal(WeightFormat.Fp32, WeightFormat.Coarsest([]));
}
