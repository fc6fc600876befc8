using System.Collections.Immutable;
using Yolo4Convert.Detection;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Tests.Detection;

public sealed class HeadSpecTests
{
    private static ModelInfo Info(int channels, params (string Key, string Value)[] changes)
    {
        var meta = new Dictionary<string, string>
        {
            ["heads"] = "h",
            ["head.h.type"] = "yolo",
            ["head.h.classes"] = "3",
            ["head.h.anchors"] = "10,14,23,27",
            ["head.h.scale_x_y"] = "1.05",
            ["head.h.new_coords"] = "0",
        };
        foreach (var (k, v) in changes)
        {
            meta[k] = v;
        }

        return new ModelInfo("image", 32, 32, false, false, [("h", new TensorShape(channels, 2, 2))], 1, meta.ToImmutableDictionary(), string.Empty);
    }

    [Fact]
    public void FromMetadata_WellFormed_ReadsTheHead()
    {
        var head = Assert.Single(HeadSpec.FromMetadata(Info(16)));

        Assert.Equal((3, 2, 1.05f), (head.Classes, head.AnchorCount, head.ScaleXY));
    }

    [Theory]
    [InlineData("head.h.classes", "abc", "error: the model's metadata has head.h.classes='abc'; expected a class count from 1 to 100,000.")]
    [InlineData("head.h.classes", "99999999999999", "error: the model's metadata has head.h.classes='99999999999999'; expected a class count")]
    [InlineData("head.h.anchors", "10,1e999", "error: the model's metadata has head.h.anchors='10,1e999'; expected finite numbers.")]
    [InlineData("head.h.anchors", "10,14,23", "error: the model's metadata has head.h.anchors='10,14,23'; expected width,height pairs.")]
    [InlineData("head.h.type", "ssd", "error: the model's metadata has head.h.type='ssd'; expected 'yolo', 'region' or 'gaussian_yolo'.")]
    [InlineData("heads", "h,ghost", "error: the model's metadata has no 'head.ghost.type'")]
    [InlineData("head.h.classes", "4", "error: output 'h' has 16 channels, but its metadata describes 2 anchors × (classes=4 + 5).")]
    public void FromMetadata_Damaged_IsOneFormatError(string key, string value, string expected)
    {
        var ex = Assert.Throws<ModelFormatException>(() => HeadSpec.FromMetadata(Info(16, (key, value))));

        Assert.StartsWith(expected, ex.Message);
    }
}
