using Yolo4Convert.Numerics;
using Yolo4Convert.Reference;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Tests.Runtime;

public sealed class LayerValueMapTests
{
    [Fact]
    public void Of_LastValueOfALayerWins_DecoderAndOtherNamesAreSkipped()
    {
        var map = LayerValueMap.Of([
            new("000_conv", "000_conv"), new("000_leaky", "000_leaky"),
            new("001_conv", "head_s8"),
            new("003_mish_softplus", "003_mish_softplus"), new("003_mish", "003_mish"),
            new("001_decode_view", "001_decode_view"), new("decode_coordinates", "coordinates")]);

        Assert.Equal([0, 1, 3], map.Values.Keys);
        Assert.Equal(["000_leaky", "head_s8", "003_mish"], map.Values.Values);
        Assert.True(map.TryGetLayer("head_s8", out var head));
        Assert.Equal(1, head);
        Assert.False(map.TryGetLayer("000_conv", out _));
        Assert.False(map.TryGetLayer("001_decode_view", out _));
    }

    [Fact]
    public void Of_NoLayerNames_IsEmpty() =>
        Assert.Empty(LayerValueMap.Of([new("conv1", "conv1"), new("relu1", "out")]).Values);

    [Theory]
    [InlineData("cfg/yolov4-tiny.cfg")]
    [InlineData("cfg/yolov3-tiny.cfg")]
    public void Map_OfAConvertedModel_PairsEveryValueWithItsDarknetLayersOutput(string cfg)
    {
        // The values the model and the reference hand out as they compute them, paired by the map: each model value
        // must be its Darknet layer's output (after activation), so they agree to float rounding.
        var model = TestModel.Create(cfg, 128, Fixtures.TempFolder());
        var runtime = model.Runtime();
        var map = LayerValueMap.Of(runtime.ComputedValues);
        var pixels = Fixtures.SyntheticImage(3, 128, 128, seed: 3);
        var expected = new Dictionary<int, Tensor>();
        DarknetReference.Forward(model.Weighted, model.Shaped, new Tensor(pixels.Shape, [.. pixels.Data.Select(v => v / 255f)]), (layer, y) =>
        {
            Assert.Equal(model.Shaped.Shapes[layer.Index], y.Shape);
            expected[layer.Index] = new Tensor(y.Shape, [.. y.Data.Take((int)y.Shape.Count)]);
        });
        var compared = 0;

        runtime.Run(pixels, [], ComputePrecision.Fp32, (name, actual) =>
        {
            if (map.TryGetLayer(name, out var layer))
            {
                var error = Fixtures.RelativeError(new Tensor(actual.Shape, [.. actual.Data.Take((int)actual.Shape.Count)]), expected[layer]);
                Assert.True(error < 1e-4, $"{cfg} layer {layer} ({name}): relative error {error:E2}");
                compared++;
            }
        });

        Assert.Equal(model.Shaped.Network.Layers.Length, expected.Count);
        var convolutions = model.Shaped.Network.Layers.OfType<Graph.ConvolutionalLayer>().Select(c => c.Index).ToList();
        Assert.All(convolutions, c => Assert.Contains(c, map.Values.Keys));
        Assert.Equal(map.Values.Count, compared);
    }
}
