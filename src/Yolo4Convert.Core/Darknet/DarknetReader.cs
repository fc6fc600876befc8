using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Darknet;

/// <summary>The front door: cfg text (and weights) to a shaped, weighted layer graph.</summary>
public static class DarknetReader
{
    /// <summary>Parses and shapes a cfg, optionally overriding the [net] input size.</summary>
    /// <remarks>Unknown keys and malformed lines go to <paramref name="warnings"/> (or fail in its strict mode).</remarks>
    public static ShapedNetwork ReadCfg(string cfgText, string cfgName, int? width = null, int? height = null, WarningLog? warnings = null)
    {
        var network = DarknetNetworkBuilder.Build(DarknetCfgParser.Parse(cfgText, cfgName, warnings), warnings);
        if (width is not null || height is not null)
        {
            network = network with { Net = network.Net with { Width = width ?? network.Net.Width, Height = height ?? network.Net.Height } };
        }

        return ShapeInference.Run(network);
    }

    /// <summary>
    /// Reads a cfg file's text (UTF-8, BOM-aware like File.ReadAllText), refusing binary files and files far larger
    /// than any cfg before reading them whole.
    /// </summary>
    public static string ReadCfgText(InputFile cfg)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        using var stream = cfg.Open();
        CfgTextSniffer.CheckFile(stream, cfg.Name);
        stream.Position = 0;
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>Reads a cfg and its weights file whole.</summary>
    public static (ShapedNetwork Shaped, WeightedNetwork Weighted) Read(InputFile cfg, InputFile weights, int? width = null, int? height = null, WarningLog? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var shaped = ReadCfg(ReadCfgText(cfg), cfg.Name, width, height, warnings);
        using var stream = weights.Open();
        return (shaped, DarknetWeightsReader.Read(shaped, stream, weights.Name, warnings));
    }
}
