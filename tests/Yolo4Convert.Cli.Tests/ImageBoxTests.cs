namespace Yolo4Convert.Cli.Tests;

/// <summary>Boxes in image pixels: clamped to the image, rounded without leaving it.</summary>
public sealed class ImageBoxTests
{
    [Theory]
    [InlineData(-5f, 182f, 378f, 233f, 0f, 182f, 373f, 233f)] // past the left edge (horses.jpg)
    [InlineData(700f, -20f, 100f, 60f, 700f, 0f, 68f, 40f)] // past the right and top edges
    [InlineData(-10f, 500f, 800f, 200f, 0f, 500f, 768f, 76f)] // wider than the image, past the bottom
    [InlineData(900f, 700f, 50f, 50f, 768f, 576f, 0f, 0f)] // wholly outside: empty, on the edge
    [InlineData(10f, 20f, 30f, 40f, 10f, 20f, 30f, 40f)] // inside: unchanged
    public void ClampedTo_KeepsThePartInsideTheImage(float l, float t, float w, float h, float el, float et, float ew, float eh)
    {
        Assert.Equal(new ImageBox(el, et, ew, eh), new ImageBox(l, t, w, h).ClampedTo(768, 576));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Rounded_BoxTouchingTheEdges_StaysInside(int decimals)
    {
        var box = new ImageBox(100.45f, 0.05f, 667.55f, 575.95f).ClampedTo(768, 576).Rounded(decimals);

        Assert.True(box.Left >= 0 && box.Top >= 0, box.ToString());
        Assert.True(box.Left + box.Width <= 768.0001f && box.Top + box.Height <= 576.0001f, box.ToString());
    }
}
