namespace Yolo4Convert.Inspection;

/// <summary>Which OS a Core ML specification version needs (Model.proto; coremltools' _SPECIFICATION_VERSION_IOS_*).</summary>
public static class CoreMLVersions
{
    /// <summary>The oldest iOS that loads a model of <paramref name="specificationVersion"/>, e.g. "iOS 11.2".</summary>
    public static string MinimumOs(int specificationVersion) => specificationVersion switch
    {
        1 => "iOS 11",
        2 => "iOS 11.2",
        3 => "iOS 12",
        4 => "iOS 13",
        5 => "iOS 14",
        6 => "iOS 15",
        7 => "iOS 16",
        8 => "iOS 17",
        9 => "iOS 18",
        10 => "iOS 26",
        _ => $"an OS newer than iOS 26 (spec {specificationVersion})",
    };
}
