using CoreML.Specification;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Tests.Runtime;

/// <summary>Core ML's nonMaximumSuppression semantics on five hand-made boxes with hand-computed overlaps.</summary>
public sealed class NmsRuntimeTests
{
    // IoU(r0, r1) = 0.038/0.042 ≈ 0.905, IoU(r0, r2) = 0.036/0.044 ≈ 0.818; r3 and r4 overlap nothing.
    private static readonly float[] Boxes = [0.5f, 0.5f, 0.2f, 0.2f, 0.51f, 0.5f, 0.2f, 0.2f, 0.52f, 0.5f, 0.2f, 0.2f, 0.1f, 0.1f, 0.1f, 0.1f, 0.9f, 0.9f, 0.1f, 0.1f];
    private static readonly float[] Scores = [0.9f, 0f, 0.8f, 0.1f, 0.1f, 0.7f, 0.2f, 0f, 0f, 0.3f];

    private static NmsRuntime Create(bool perClass = true, ArrayFeatureType? output = null)
    {
        var nms = new NonMaximumSuppression
        {
            PickTop = new NonMaximumSuppression.Types.PickTop { PerClass = perClass },
            StringClassLabels = new StringVector { Vector = { "a", "b" } },
            IouThreshold = 0.45,
            ConfidenceThreshold = 0.25,
            ConfidenceInputFeatureName = "c",
            CoordinatesInputFeatureName = "xywh",
            ConfidenceOutputFeatureName = "confidence",
            CoordinatesOutputFeatureName = "coordinates",
        };
        var description = new ModelDescription();
        if (output is not null)
        {
            description.Output.Add(new FeatureDescription { Name = "confidence", Type = new FeatureType { MultiArrayType = output } });
        }

        return new NmsRuntime(new Model { SpecificationVersion = 3, Description = description, NonMaximumSuppression = nms }, "nms.mlmodel");
    }

    private static int[] Kept(NmsResult result) =>
        [.. Enumerable.Range(0, result.Rows).Select(r => result.Coordinates.Data[4 * r] == 0 ? -1
            : Enumerable.Range(0, 5).Single(i => Boxes[4 * i] == result.Coordinates.Data[4 * r] && Boxes[(4 * i) + 1] == result.Coordinates.Data[(4 * r) + 1]))];

    private static NmsResult Run(NmsRuntime nms, double? iou = null, double? confidence = null) =>
        nms.Run(new Tensor(new TensorShape(5, 2, 1), [.. Scores]), new Tensor(new TensorShape(5, 4, 1), [.. Boxes]), iou, confidence);

    [Fact]
    public void Run_PerClass_SuppressesOnlyWithinTheBestClass() => Assert.Equal([0, 2, 4], Kept(Run(Create())));

    [Fact]
    public void Run_ClassAgnostic_SuppressesAcrossClasses() => Assert.Equal([0, 4], Kept(Run(Create(perClass: false))));

    [Fact]
    public void Run_ThresholdInputs_OverrideTheModelsThresholds()
    {
        Assert.Equal([0, 1, 2, 4], Kept(Run(Create(), iou: 0.95)));
        Assert.Equal([0, 2, 4, 3], Kept(Run(Create(), confidence: 0.15)));
        Assert.Equal([0], Kept(Run(Create(), confidence: 0.8)));
    }

    [Fact]
    public void Run_KeptRows_CarryTheWholeConfidenceRow()
    {
        var result = Run(Create());
        Assert.Equal([0.9f, 0f, 0.1f, 0.7f, 0f, 0.3f], result.Confidence.Data);
        Assert.Equal(["a", "b"], result.Labels);
    }

    [Fact]
    public void Run_FixedOutputShape_PadsWithZeroRows()
    {
        var fixedShape = new ArrayFeatureType { DataType = ArrayFeatureType.Types.ArrayDataType.Double, Shape = { 6, 2 } };
        var result = Run(Create(output: fixedShape));

        Assert.Equal([0, 2, 4, -1, -1, -1], Kept(result));
        Assert.All(result.Confidence.Data.Skip(6), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Run_RangeWithUpperBound_CutsToTheStrongestRows()
    {
        var range = new ArrayFeatureType.Types.ShapeRange { SizeRanges = { new SizeRange { LowerBound = 0, UpperBound = 2 }, new SizeRange { LowerBound = 2, UpperBound = 2 } } };
        var result = Run(Create(output: new ArrayFeatureType { DataType = ArrayFeatureType.Types.ArrayDataType.Double, ShapeRange = range }));

        Assert.Equal([0, 2], Kept(result));
    }

    [Fact]
    public void Run_IouThresholdAboveOne_Throws() => Assert.Throws<ArgumentException>(() => Run(Create(), iou: 1.5));
}
