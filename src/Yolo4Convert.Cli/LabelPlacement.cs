namespace Yolo4Convert.Cli;

/// <summary>
/// Where the labels of drawn boxes go: each label above its box if there is room, else just inside the box's top;
/// when that spot is taken by a label placed earlier, the nearest free spot in the same column, found among the
/// edges of the labels already placed there (shifting down past them first). Labels stay inside the image. Greedy
/// and deterministic: labels are placed in the order given (strongest object first), so the strongest keeps its spot.
/// A label with no free spot left in its column is not drawn (its box is), so no label ever covers another.
/// </summary>
internal static class LabelPlacement
{
    /// <summary>The rectangle of each label, in the order given; null for a label that has no free spot.</summary>
    public static IReadOnlyList<ImageBox?> Place(IReadOnlyList<(ImageBox Box, float Width, float Height)> labels, int imageWidth, int imageHeight)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var placed = new List<ImageBox>();
        var result = new List<ImageBox?>(labels.Count);
        foreach (var (box, width, height) in labels)
        {
            var rect = PlaceOne(box, width, height, placed, imageWidth, imageHeight);
            if (rect is { } r)
            {
                placed.Add(r);
            }

            result.Add(rect);
        }

        return result;
    }

    /// <summary>Where a label goes on its own: above the box if it fits, else just inside its top; always inside the image.</summary>
    public static (float X, float Y) Preferred(ImageBox box, float labelWidth, float labelHeight, int imageWidth, int imageHeight) =>
        (ClampX(box.Left, labelWidth, imageWidth), ClampY(box.Top - labelHeight >= 0 ? box.Top - labelHeight : box.Top, labelHeight, imageHeight));

    private static ImageBox? PlaceOne(ImageBox box, float width, float height, List<ImageBox> placed, int imageWidth, int imageHeight)
    {
        if (width > imageWidth || height > imageHeight)
        {
            return null;
        }

        var (x, preferred) = Preferred(box, width, height, imageWidth, imageHeight);

        // Only the labels already placed in this label's column can be in its way.
        var column = placed.Where(p => p.Left < x + width && x < p.Right).ToList();

        // The spots to try, in order: the preferred one, inside the box's top, then every position touching an edge
        // of a label in the column (below it, or above it), nearest to the preferred spot first, lower before higher.
        var candidates = column.SelectMany(p => new[] { p.Bottom, p.Top - height })
            .Where(y => y >= 0 && y + height <= imageHeight)
            .OrderBy(y => Math.Abs(y - preferred))
            .ThenByDescending(y => y)
            .Prepend(ClampY(box.Top, height, imageHeight))
            .Prepend(preferred);
        foreach (var y in candidates)
        {
            var rect = new ImageBox(x, y, width, height);
            if (!column.Any(rect.Overlaps))
            {
                return rect;
            }
        }

        return null;
    }

    private static float ClampX(float x, float width, int imageWidth) => Math.Clamp(x, 0, Math.Max(0, imageWidth - width));

    private static float ClampY(float y, float height, int imageHeight) => Math.Clamp(y, 0, Math.Max(0, imageHeight - height));
}
