namespace Yolo4Convert.Cli;

/// <summary>
/// Where the labels of drawn boxes go: each label above its box if there is room, else just inside the box's top;
/// when that spot is taken by a label placed earlier, the nearest free spot in the same column, found among the
/// edges of the labels already placed (shifting down past them first). Labels stay inside the image. Greedy and
/// deterministic: labels are placed in the order given (strongest object first), so the strongest keeps its spot.
/// </summary>
internal static class LabelPlacement
{
    /// <summary>
    /// The rectangle of each label, in the order given. Two labels overlap only when no free spot exists in a
    /// label's column of the image; then it goes where it covers the least label area.
    /// </summary>
    public static IReadOnlyList<ImageBox> Place(IReadOnlyList<(ImageBox Box, float Width, float Height)> labels, int imageWidth, int imageHeight)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var placed = new List<ImageBox>(labels.Count);
        foreach (var (box, width, height) in labels)
        {
            placed.Add(PlaceOne(box, width, height, placed, imageWidth, imageHeight));
        }

        return placed;
    }

    /// <summary>Where a label goes on its own: above the box if it fits, else just inside its top; always inside the image.</summary>
    public static (float X, float Y) Preferred(ImageBox box, float labelWidth, float labelHeight, int imageWidth, int imageHeight) =>
        (ClampX(box.Left, labelWidth, imageWidth), ClampY(box.Top - labelHeight >= 0 ? box.Top - labelHeight : box.Top, labelHeight, imageHeight));

    private static ImageBox PlaceOne(ImageBox box, float width, float height, List<ImageBox> placed, int imageWidth, int imageHeight)
    {
        var (x, preferred) = Preferred(box, width, height, imageWidth, imageHeight);
        var inside = ClampY(box.Top, height, imageHeight);

        // The spots to try, in order: the preferred one, inside the box's top, then every position that touches an
        // edge of a placed label (below it, or above it), nearest to the preferred spot first and lower before higher.
        var candidates = new List<float> { preferred, inside };
        var edges = new List<float>(2 * placed.Count);
        foreach (var p in placed)
        {
            edges.Add(p.Bottom);
            edges.Add(p.Top - height);
        }

        candidates.AddRange(edges
            .Where(y => y >= 0 && y + height <= imageHeight)
            .OrderBy(y => Math.Abs(y - preferred))
            .ThenByDescending(y => y));

        ImageBox? best = null;
        var leastOverlap = float.PositiveInfinity;
        foreach (var y in candidates)
        {
            var rect = new ImageBox(x, y, width, height);
            var overlap = 0f;
            foreach (var p in placed)
            {
                overlap += rect.OverlapArea(p);
            }

            if (overlap == 0)
            {
                return rect;
            }

            if (overlap < leastOverlap)
            {
                (best, leastOverlap) = (rect, overlap);
            }
        }

        return best ?? new ImageBox(x, preferred, width, height);
    }

    private static float ClampX(float x, float width, int imageWidth) => Math.Clamp(x, 0, Math.Max(0, imageWidth - width));

    private static float ClampY(float y, float height, int imageHeight) => Math.Clamp(y, 0, Math.Max(0, imageHeight - height));
}
