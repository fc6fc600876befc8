using CoreML.Specification;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Runtime.Ops;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Tests.Runtime.Ops;

/// <summary>The sliding-window geometry the shape rules and the evaluation share.</summary>
public sealed class WindowTests
{
    private static readonly LayerSite Site = LayerSite.InModel(new Layer { Name = "conv", Convolution = new ConvolutionLayerParams() }, 4, new SourceLocation("m.mlmodel"));

    [Fact]
    public void Same_OddInputStrideTwo_PadsTheExtraPixelAtTheBottomRight()
    {
        // 5 → ceil(5/2) = 3 outputs; a 3-wide window needs (3-1)·2 + 3 - 5 = 2 pixels: one each side.
        Assert.Equal(new WindowGeometry(3, 3, new Padding(1, 1, 1, 1)), Window.Same(5, 5, 3, 3, 2, 2, topLeftHeavy: false));

        // 6 → 3 outputs, 1 pixel of padding: bottom/right by default, top/left when top-left heavy.
        Assert.Equal(new WindowGeometry(3, 3, new Padding(0, 1, 0, 1)), Window.Same(6, 6, 3, 3, 2, 2, topLeftHeavy: false));
        Assert.Equal(new WindowGeometry(3, 3, new Padding(1, 0, 1, 0)), Window.Same(6, 6, 3, 3, 2, 2, topLeftHeavy: true));
    }

    [Fact]
    public void Of_ValidPaddingAmounts_GiveDarknetsFormula()
    {
        var valid = new ValidPadding { PaddingAmounts = new BorderAmounts { BorderAmounts_ = { new EdgeSizes { StartEdgeSize = 1, EndEdgeSize = 1 }, new EdgeSizes { StartEdgeSize = 0, EndEdgeSize = 2 } } } };

        // (13 + 2 - 3) / 2 + 1 = 7 rows; (13 + 2 - 3) / 2 + 1 = 7 columns.
        Assert.Equal(new WindowGeometry(7, 7, new Padding(1, 1, 0, 2)), Window.Of(new TensorShape(1, 13, 13), 3, 3, 2, 2, valid, null, Site));
    }

    [Fact]
    public void Explicit_WindowLargerThanThePaddedInput_FailsAtTheLayer()
    {
        var ex = Assert.Throws<ModelFormatException>(() => Window.Explicit(2, 2, 5, 5, 1, 1, default, Site));

        Assert.Contains("Core ML layer 4 'conv' (Convolution) has a 5x5 window larger than its padded input 2x2.", ex.Message, StringComparison.Ordinal);
    }
}
