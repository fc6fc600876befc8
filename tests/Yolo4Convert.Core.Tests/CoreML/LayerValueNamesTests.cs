using Yolo4Convert.CoreML;

namespace Yolo4Convert.Tests.CoreML;

public sealed class LayerValueNamesTests
{
    [Theory]
    [InlineData("005_leaky", 5, "leaky")]
    [InlineData("000_conv", 0, "conv")]
    [InlineData("l120_mish_tanh", 120, "mish_tanh")]
    [InlineData("1000_conv", 1000, "conv")]
    [InlineData("l1234_add", 1234, "add")]
    public void TryParse_NamesOfEitherTarget_GiveLayerAndRole(string name, int layer, string role)
    {
        Assert.True(LayerValueNames.TryParse(name, out var l, out var r));
        Assert.Equal((layer, role), (l, r));
    }

    [Theory]
    [InlineData("head_s8")]
    [InlineData("image")]
    [InlineData("image__scaled__")]
    [InlineData("005_decode_view")]
    [InlineData("l021_decode_box_rows")]
    [InlineData("05_conv")]
    [InlineData("l5_conv")]
    [InlineData("005_")]
    [InlineData("005conv")]
    [InlineData("x005_conv")]
    public void TryParse_OtherNames_AreNoLayerValue(string name)
    {
        Assert.False(LayerValueNames.TryParse(name, out var layer, out _));
        Assert.Equal(-1, layer);
    }

    [Fact]
    public void Names_ReadBack()
    {
        Assert.True(LayerValueNames.TryParse(LayerValueNames.NeuralNetwork(7, "slice0"), out var a, out var ra));
        Assert.True(LayerValueNames.TryParse(LayerValueNames.MLProgram(7, "slice0"), out var b, out var rb));
        Assert.Equal((7, "slice0", 7, "slice0"), (a, ra, b, rb));
    }
}
