namespace Yolo4Convert.Cli;

/// <summary>A box in image pixels: left and top edge, width and height (origin at the top-left).</summary>
internal readonly record struct ImageBox(float Left, float Top, float Width, float Height)
{
    /// <summary>The right edge.</summary>
    public float Right => Left + Width;

    /// <summary>The bottom edge.</summary>
    public float Bottom => Top + Height;

    /// <summary>
    /// The part of the box inside an image of the given size, [0, W] × [0, H]: a decoded box may reach past the edge
    /// (its centre near the border, its extent predicted from an anchor); a box wholly outside becomes empty.
    /// </summary>
    public ImageBox ClampedTo(int imageWidth, int imageHeight)
    {
        var left = Math.Clamp(Left, 0, imageWidth);
        var top = Math.Clamp(Top, 0, imageHeight);
        var right = Math.Clamp(Right, left, imageWidth);
        var bottom = Math.Clamp(Bottom, top, imageHeight);
        return new ImageBox(left, top, right - left, bottom - top);
    }

    /// <summary>
    /// The box rounded to the given number of decimals for printing: its edges are rounded and the size derived
    /// from them, so a box inside the image stays inside it once rounded.
    /// </summary>
    public ImageBox Rounded(int decimals)
    {
        var left = MathF.Round(Left, decimals, MidpointRounding.AwayFromZero);
        var top = MathF.Round(Top, decimals, MidpointRounding.AwayFromZero);
        var right = MathF.Round(Right, decimals, MidpointRounding.AwayFromZero);
        var bottom = MathF.Round(Bottom, decimals, MidpointRounding.AwayFromZero);
        return new ImageBox(left, top, MathF.Round(right - left, decimals), MathF.Round(bottom - top, decimals));
    }

    /// <summary>Whether two boxes share any area (touching edges do not count).</summary>
    public bool Overlaps(ImageBox other) => Left < other.Right && other.Left < Right && Top < other.Bottom && other.Top < Bottom;
}
