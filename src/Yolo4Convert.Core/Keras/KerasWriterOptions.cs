namespace Yolo4Convert.Keras;

/// <summary>Options of <see cref="KerasH5Writer"/>.</summary>
public sealed record KerasWriterOptions
{
    /// <summary>The model's name in its config.</summary>
    public string ModelName { get; init; } = "yolo";

    /// <summary>The keras_version attribute written to the file (Keras 2 full-model HDF5 format).</summary>
    public string KerasVersion { get; init; } = "2.11.0";
}
