namespace Yolo4Convert.CoreML.MLProgram;

/// <summary>The OS release an ML Program is written for; the value is its Core ML specification version.</summary>
public enum MLProgramTarget
{
    /// <summary>iOS 15 / macOS 12 (Core ML 5): spec 6, opset CoreML5, the first with ML Programs.</summary>
    IOS15 = 6,

    /// <summary>iOS 16 / macOS 13: spec 7, opset CoreML6 (constexpr weight compression).</summary>
    IOS16 = 7,

    /// <summary>iOS 17 / macOS 14: spec 8, opset CoreML7.</summary>
    IOS17 = 8,

    /// <summary>iOS 18 / macOS 15: spec 9, opset CoreML8.</summary>
    IOS18 = 9,
}

/// <summary>Names, versions and opsets of <see cref="MLProgramTarget"/>.</summary>
public static class MLProgramTargets
{
    /// <summary>The targets, lowest first.</summary>
    public static readonly IReadOnlyList<MLProgramTarget> All = [MLProgramTarget.IOS15, MLProgramTarget.IOS16, MLProgramTarget.IOS17, MLProgramTarget.IOS18];

    /// <summary>The Core ML specification version.</summary>
    public static int SpecificationVersion(this MLProgramTarget target) => (int)target;

    /// <summary>The opset of the program's functions: CoreML5 for spec 6, and so on.</summary>
    public static string Opset(this MLProgramTarget target) => $"CoreML{(int)target - 1}";

    /// <summary>"iOS15" and so on, as the --target option spells it.</summary>
    public static string Name(this MLProgramTarget target) => $"iOS{(int)target + 9}";

    /// <summary>The target named "iOS15"…"iOS18" or "macOS12"…"macOS15" (any case), or null.</summary>
    public static MLProgramTarget? Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var t in All)
        {
            if (name.Equals(t.Name(), StringComparison.OrdinalIgnoreCase) || name.Equals($"macOS{(int)t + 6}", StringComparison.OrdinalIgnoreCase))
            {
                return t;
            }
        }

        return null;
    }
}
