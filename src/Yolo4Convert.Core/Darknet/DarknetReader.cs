using Yolo4Convert.Graph;
using Yolo4Convert.Passes;

namespace Yolo4Convert.Darknet;

/// <summary>The front door: cfg text (and weights) to a shaped, weighted layer graph.</summary>
public static class DarknetReader
{
    /// <summary>Parses and shapes a cfg, optionally overriding the [net] input size.</summary>
    public static ShapedNetwork ReadCfg(string cfgText, string cfgName, int? width = null, int? height = null)
    {
        var network = DarknetNetworkBuilder.Build(DarknetCfgParser.Parse(cfgText, cfgName));
        if (width is not null || height is not null)
        {
            network = network with { Net = network.Net with { Width = width ?? network.Net.Width, Height = height ?? network.Net.Height } };
        }

        return ShapeInference.Run(network);
    }

    /// <summary>Reads cfg and weights files.</summary>
    public static (ShapedNetwork Shaped, WeightedNetwork Weighted) Read(string cfgPath, string weightsPath, int? width = null, int? height = null)
    {
        var shaped = ReadCfg(File.ReadAllText(cfgPath), cfgPath, width, height);
        using var stream = new FileStream(weightsPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return (shaped, DarknetWeightsReader.Read(shaped, stream, weightsPath));
    }
}
