using System.Collections.Immutable;

namespace Yolo4Convert.Graph;

/// <summary>The [net] options that matter for inference.</summary>
public sealed record NetOptions(int Width, int Height, int Channels, bool LetterBox);

/// <summary>A Darknet network as a layer graph: one layer per cfg section, in cfg order.</summary>
public sealed record Network(string SourceName, NetOptions Net, ImmutableArray<Layer> Layers)
{
    /// <summary>The input tensor shape (C×H×W).</summary>
    public TensorShape InputShape => new(Net.Channels, Net.Height, Net.Width);

    /// <summary>The detection heads, in cfg order.</summary>
    public IEnumerable<HeadLayer> Heads => Layers.OfType<HeadLayer>();
}

/// <summary>Parameters of one [convolutional] layer as stored in .weights (kernel is OIHW).</summary>
public sealed record ConvWeights(float[] Biases, BatchNormWeights? BatchNorm, float[] Kernel);

/// <summary>Batch-norm parameters: Darknet's scales (γ), rolling mean and rolling variance. β is the conv's bias.</summary>
public sealed record BatchNormWeights(float[] Scales, float[] Mean, float[] Variance);

/// <summary>A network plus its weights, indexed by layer index (null for layers without weights).</summary>
public sealed record WeightedNetwork(Network Network, ImmutableArray<ConvWeights?> Weights, WeightsHeader Header);

/// <summary>The header of a .weights file.</summary>
public sealed record WeightsHeader(int Major, int Minor, int Revision, long Seen, int Size);
