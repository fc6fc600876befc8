namespace Yolo4Convert.Inspection;

/// <summary>
/// What `inspect MODEL` reports about a model file, whatever its format: one reader per format fills it
/// (<see cref="CoreMLInspector"/>, <see cref="KerasInspector"/>); <see cref="ModelInspector"/> picks the reader.
/// </summary>
/// <param name="File">The file as given.</param>
/// <param name="Format">neuralNetwork, pipeline or keras.</param>
/// <param name="FormatText">The format in words, e.g. "pipeline (network + NMS) .mlmodel".</param>
/// <param name="FileBytes">The file's size.</param>
/// <param name="SpecificationVersion">The Core ML specification version (null for Keras).</param>
/// <param name="MinimumOs">The oldest OS that runs that specification version, e.g. "iOS 11.2" (null for Keras).</param>
/// <param name="Inputs">The model's inputs.</param>
/// <param name="Outputs">The model's outputs.</param>
/// <param name="Strings">Author, licence, description and version strings; Keras and backend versions.</param>
/// <param name="Converter">What yolo4convert's metadata says (null when the model has none of it).</param>
/// <param name="Nms">The suppression stage of a pipeline (null otherwise).</param>
/// <param name="LayerCount">All layers (of every network stage).</param>
/// <param name="Layers">Layer counts by type, most frequent first.</param>
/// <param name="CustomLayers">Custom layers by class name: classes the app must implement and register.</param>
/// <param name="Weights">Stored weights by role and format.</param>
/// <param name="WeightBytes">The bytes all stored weights take.</param>
/// <param name="UserDefined">Every user-defined metadata entry, sorted by key.</param>
public sealed record ModelInspection(
    string File,
    string Format,
    string FormatText,
    long FileBytes,
    int? SpecificationVersion,
    string? MinimumOs,
    IReadOnlyList<ModelFeature> Inputs,
    IReadOnlyList<ModelFeature> Outputs,
    ModelStrings Strings,
    ConverterMetadata? Converter,
    NmsStage? Nms,
    int LayerCount,
    IReadOnlyList<LayerTypeCount> Layers,
    IReadOnlyList<CustomLayerCount> CustomLayers,
    IReadOnlyList<WeightGroup> Weights,
    long WeightBytes,
    IReadOnlyDictionary<string, string> UserDefined);

/// <summary>One input or output.</summary>
/// <param name="Name">The feature name.</param>
/// <param name="Type">image, multiArray, double, int64 or tensor (Keras).</param>
/// <param name="Width">An image's width.</param>
/// <param name="Height">An image's height.</param>
/// <param name="ColorSpace">An image's colour space: RGB, BGR or grayscale.</param>
/// <param name="DataType">An array's element type: float32, double, int32.</param>
/// <param name="Shape">An array's fixed shape (null entries are free dimensions).</param>
/// <param name="ShapeRange">An array's flexible shape as ranges, e.g. "[0..*, 4]" (null when fixed).</param>
/// <param name="Optional">Whether the input may be left out.</param>
/// <param name="Description">The feature's description text.</param>
public sealed record ModelFeature(
    string Name, string Type, long? Width, long? Height, string? ColorSpace, string? DataType,
    IReadOnlyList<long?> Shape, string? ShapeRange, bool Optional, string Description);

/// <summary>The free-text strings of a model.</summary>
public sealed record ModelStrings(string? Author, string? License, string? Description, string? Version, string? KerasVersion, string? Backend);

/// <summary>The metadata yolo4convert writes: input, classes and how to decode each head.</summary>
/// <param name="Converter">The "converter" entry (yolo4convert).</param>
/// <param name="InputWidth">input.width.</param>
/// <param name="InputHeight">input.height.</param>
/// <param name="Resize">input.resize: letterbox or stretch.</param>
/// <param name="InputScale">input.scale, e.g. 1/255.</param>
/// <param name="Classes">The class count of the heads.</param>
/// <param name="ClassNames">The names stored under "classes" (null when none are stored).</param>
/// <param name="Heads">One entry per raw head.</param>
public sealed record ConverterMetadata(
    string? Converter, int? InputWidth, int? InputHeight, string? Resize, string? InputScale, int? Classes,
    IReadOnlyList<string>? ClassNames, IReadOnlyList<HeadMetadata> Heads);

/// <summary>One raw head as the metadata describes it.</summary>
/// <param name="Output">The head's output (or internal blob, in a pipeline) name.</param>
/// <param name="Type">yolo or region.</param>
/// <param name="Layer">The Darknet layer index of the head.</param>
/// <param name="Classes">Its class count.</param>
/// <param name="Grid">Its grid, WxH.</param>
/// <param name="Stride">Input pixels per grid cell.</param>
/// <param name="Mask">The anchor indices of a [yolo] head.</param>
/// <param name="Anchors">Its anchors as width,height pairs (pixels for [yolo], cells for [region]).</param>
/// <param name="ScaleXY">scale_x_y of a [yolo] head.</param>
/// <param name="NewCoords">new_coords of a [yolo] head.</param>
public sealed record HeadMetadata(
    string Output, string? Type, int? Layer, int? Classes, string? Grid, int? Stride,
    IReadOnlyList<int>? Mask, IReadOnlyList<float>? Anchors, float? ScaleXY, bool? NewCoords);

/// <summary>The non-maximum suppression stage of a pipeline.</summary>
/// <param name="IouThreshold">The stored IoU threshold.</param>
/// <param name="ConfidenceThreshold">The stored confidence threshold.</param>
/// <param name="PerClass">Whether boxes are suppressed only among their own class.</param>
/// <param name="CandidateBoxes">The decoded boxes fed to suppression (nms.boxes), when known.</param>
/// <param name="Labels">The stage's class labels.</param>
/// <param name="ThresholdInputs">The pipeline's optional inputs that override the thresholds.</param>
public sealed record NmsStage(double IouThreshold, double ConfidenceThreshold, bool PerClass, int? CandidateBoxes, IReadOnlyList<string> Labels, IReadOnlyList<string> ThresholdInputs);

/// <summary>How many layers of one type a model has.</summary>
public sealed record LayerTypeCount(string Type, int Count);

/// <summary>How many custom layers of one class a model has; the app must register that class.</summary>
public sealed record CustomLayerCount(string ClassName, int Count, string Description);

/// <summary>The stored weights of one role (kernels, or biases and other parameters) in one format.</summary>
/// <param name="Role">kernels (convolution weights) or other (biases, scales, custom layer weights; Keras: all datasets).</param>
/// <param name="Format">fp32, fp16, linear8, kmeans4 …; Keras: the dataset element type.</param>
/// <param name="Tensors">How many weight arrays.</param>
/// <param name="Values">How many values they hold.</param>
/// <param name="Bytes">The bytes they take in the file.</param>
public sealed record WeightGroup(string Role, string Format, int Tensors, long Values, long Bytes);
