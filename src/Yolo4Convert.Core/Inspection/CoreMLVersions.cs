namespace Yolo4Convert.Inspection;

/// <summary>Which OS a Core ML specification version needs (Model.proto; coremltools' _SPECIFICATION_VERSION_IOS_*).</summary>
public static class CoreMLVersions
{
    /// <summary>The oldest iOS and macOS that load a model of <paramref name="specificationVersion"/>, e.g. "iOS 11.2 / macOS 10.13.2".</summary>
    public static string MinimumOs(int specificationVersion) => specificationVersion switch
    {
        1 => "iOS 11 / macOS 10.13",
        2 => "iOS 11.2 / macOS 10.13.2",
        3 => "iOS 12 / macOS 10.14",
        4 => "iOS 13 / macOS 10.15",
        5 => "iOS 14 / macOS 11",
        6 => "iOS 15 / macOS 12",
        7 => "iOS 16 / macOS 13",
        8 => "iOS 17 / macOS 14",
        9 => "iOS 18 / macOS 15",
        10 => "iOS 26 / macOS 26",
        _ => $"an OS newer than iOS 26 (spec {specificationVersion})",
    };
}
