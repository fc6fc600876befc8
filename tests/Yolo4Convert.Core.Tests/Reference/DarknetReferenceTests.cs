using Xunit.Abstractions;
using Yolo4Convert.Numerics;
using Yolo4Convert.Reference;

namespace Yolo4Convert.Tests.Reference;

/// <summary>The reference behind `verify` must itself agree with an independent implementation (OpenCV).</summary>
[Trait("Reference", "OpenCV")]
public sealed class DarknetReferenceTests(ITestOutputHelper log)
{
    [Theory]
    [InlineData("cfg/yolov2.cfg", 128)]
    [InlineData("cfg/yolov3-tiny.cfg", 128)]
    [InlineData("cfg/yolov4-tiny.cfg", 128)]
    [InlineData("cfg/enet-coco.cfg", 128)]
    [InlineData("cfg/yolov4-csp.cfg", 128)]
    public void Forward_SeededModel_MatchesOpenCv(string cfg, int size)
    {
        var folder = Fixtures.TempFolder();
        var model = TestModel.Create(cfg, size, folder);
        var pixels = Fixtures.SyntheticImage(3, size, size, seed: 11);

        var ours = DarknetReference.Forward(model.Weighted, model.Shaped, new Tensor(pixels.Shape, [.. pixels.Data.Select(v => v / 255f)]));
        var theirs = Fixtures.OpenCvHeads(model.CfgPath, model.WeightsPath, pixels, folder);

        var heads = model.Shaped.Network.Heads.ToList();
        Assert.Equal(heads.Count, theirs.Count);
        for (var i = 0; i < heads.Count; i++)
        {
            var error = Fixtures.RelativeError(ours[heads[i].Index], theirs[i]);
            log.WriteLine($"{cfg} head {i}: relative error {error:E2}");
            Assert.True(error < 1e-3, $"{cfg} head {i}: relative error {error:E2}");
        }
    }
}
