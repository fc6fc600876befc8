using System.Collections.Immutable;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Darknet;

/// <summary>
/// A cfg section as the network builder reads it: every key the builder asks for is remembered, so that the keys
/// it never asked for can be reported as unknown without a second, hand-kept list of the keys it understands.
/// </summary>
internal sealed class CfgSectionReader(CfgSection section)
{
    private readonly HashSet<string> _asked = new(StringComparer.Ordinal);

    public string Name => section.Name;

    public SourceLocation Location => section.Location;

    public ImmutableArray<CfgOption> Options => section.Options;

    /// <summary>The keys the builder asked for, present or not.</summary>
    public IReadOnlySet<string> Asked => _asked;

    /// <inheritdoc cref="CfgSection.Find"/>
    public CfgOption? Find(string key)
    {
        _asked.Add(key);
        return section.Find(key);
    }

    /// <inheritdoc cref="CfgSection.GetInt"/>
    public int GetInt(string key, int fallback) => Find(key) is { } o ? CfgSection.Atoi(o.Value) : fallback;

    /// <inheritdoc cref="CfgSection.GetFloat"/>
    public float GetFloat(string key, float fallback) => Find(key) is { } o ? CfgSection.Atof(o.Value) : fallback;

    /// <inheritdoc cref="CfgSection.GetString"/>
    public string GetString(string key, string fallback) => Find(key)?.Value ?? fallback;

    /// <summary>
    /// An integer that sizes something (a dimension, a count, a stride), checked against
    /// <paramref name="min"/>..<paramref name="max"/> where it enters, so that no later arithmetic can overflow.
    /// </summary>
    public int GetBounded(string key, int fallback, int min, int max, string what)
    {
        var option = Find(key);
        if (option is null)
        {
            return fallback;
        }

        var value = CfgSection.Atoi(option.Value);
        if (value < min || value > max)
        {
            throw new DarknetFormatException(
                $"[{Echo.Of(Name)}] has {key}={Echo.Of(option.Value)}; expected {what} {(min == int.MinValue ? "up to" : $"from {min} to")} {max:N0}.",
                option.Location, "a value this far out of range is a typo or a damaged file.");
        }

        return value;
    }
}
