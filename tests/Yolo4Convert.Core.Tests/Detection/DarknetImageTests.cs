using Yolo4Convert.Detection;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Tests.Detection;

public sealed class DarknetImageTests
{
    [Fact]
    public void Resize_KeepsCornersAndInterpolatesAlignedCorners()
    {
        // 1 channel, 2x3 → 3x5: Darknet scales by (in−1)/(out−1), so corners map onto corners.
        var image = new Tensor(new TensorShape(1, 2, 3), [0f, 10f, 20f, 100f, 110f, 120f]);

        var resized = DarknetImage.Resize(image, 5, 3);

        Assert.Equal([0f, 5f, 10f, 15f, 20f, 50f, 55f, 60f, 65f, 70f, 100f, 105f, 110f, 115f, 120f], resized.Data);
    }

    [Fact]
    public void Letterbox_CentresOnGreyAndBoxesMapBack()
    {
        var image = new Tensor(new TensorShape(1, 10, 20));
        Array.Fill(image.Data, 200f);

        var (boxed, newW, newH) = DarknetImage.Letterbox(image, 20, 20, 127.5f);
        var back = DarknetImage.UnLetterbox(new Yolo4Convert.Detection.Detection(0, 1f, 0.5f, 0.5f, 1f, 0.5f), 20, 20, newW, newH);

        Assert.Equal((20, 10), (newW, newH));
        Assert.Equal(127.5f, boxed.Data[0]);
        Assert.Equal(200f, boxed.Data[10 * 20]);
        Assert.Equal((0.5f, 0.5f, 1f, 1f), (back.X, back.Y, back.Width, back.Height));
    }
}
