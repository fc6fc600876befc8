namespace Yolo4Convert.Graph;

/// <summary>Darknet's activation functions (activations.h, get_activation in src/activations.c).</summary>
public enum Activation
{
    Logistic,
    Relu,
    Relu6,
    Relie,
    Linear,
    Ramp,
    Tanh,
    Plse,
    Revleaky,
    Leaky,
    Elu,
    Loggy,
    Stair,
    Hardtan,
    Lhtan,
    Selu,
    Gelu,
    Swish,
    Mish,
    HardMish,
    NormalizeChannels,
    NormalizeChannelsSoftmax,
    NormalizeChannelsSoftmaxMaxval,
}

/// <summary>Names of activations as written in cfg files.</summary>
public static class ActivationNames
{
    private static readonly Dictionary<string, Activation> ByName = new(StringComparer.Ordinal)
    {
        ["logistic"] = Activation.Logistic,
        ["relu"] = Activation.Relu,
        ["relu6"] = Activation.Relu6,
        ["relie"] = Activation.Relie,
        ["linear"] = Activation.Linear,
        ["ramp"] = Activation.Ramp,
        ["tanh"] = Activation.Tanh,
        ["plse"] = Activation.Plse,
        ["revleaky"] = Activation.Revleaky,
        ["leaky"] = Activation.Leaky,
        ["elu"] = Activation.Elu,
        ["loggy"] = Activation.Loggy,
        ["stair"] = Activation.Stair,
        ["hardtan"] = Activation.Hardtan,
        ["lhtan"] = Activation.Lhtan,
        ["selu"] = Activation.Selu,
        ["gelu"] = Activation.Gelu,
        ["swish"] = Activation.Swish,
        ["mish"] = Activation.Mish,
        ["hard_mish"] = Activation.HardMish,
        ["normalize_channels"] = Activation.NormalizeChannels,
        ["normalize_channels_softmax"] = Activation.NormalizeChannelsSoftmax,
        ["normalize_channels_softmax_maxval"] = Activation.NormalizeChannelsSoftmaxMaxval,
    };

    /// <summary>Looks a cfg name up; false for a name Darknet does not know.</summary>
    public static bool TryParse(string name, out Activation activation) => ByName.TryGetValue(name, out activation);

    /// <summary>The cfg spelling of an activation.</summary>
    public static string Name(Activation activation) => ByName.First(p => p.Value == activation).Key;
}
