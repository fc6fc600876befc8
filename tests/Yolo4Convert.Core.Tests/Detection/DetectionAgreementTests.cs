using Yolo4Convert.Detection;
using Det = Yolo4Convert.Detection.Detection;

namespace Yolo4Convert.Tests.Detection;

public sealed class DetectionAgreementTests
{
    [Fact]
    public void Compare_SameClassOverlappingBox_IsFoundWithItsIoU()
    {
        var reference = new[] { new Det(3, 0.9f, 0.5f, 0.5f, 0.2f, 0.2f) };
        var model = new[] { new Det(3, 0.8f, 0.51f, 0.5f, 0.2f, 0.2f) };

        var a = DetectionAgreement.Compare(reference, model, 0.9f);

        Assert.True(a.AllFound);
        Assert.Equal(0.9048, a.WorstIou, 3); // overlap 0.19·0.2 over union 0.042
    }

    [Fact]
    public void Compare_OtherClassOrTooLittleOverlap_IsMissing()
    {
        var reference = new[] { new Det(3, 0.9f, 0.5f, 0.5f, 0.2f, 0.2f), new Det(4, 0.7f, 0.2f, 0.2f, 0.1f, 0.1f) };
        var model = new[] { new Det(5, 0.9f, 0.5f, 0.5f, 0.2f, 0.2f), new Det(4, 0.7f, 0.25f, 0.2f, 0.1f, 0.1f) };

        var a = DetectionAgreement.Compare(reference, model, 0.5f);

        Assert.Equal(0, a.Found);
        Assert.Null(a.Matches[0].Model);
        Assert.Equal(0f, a.Matches[0].Iou);
        Assert.Equal(1f / 3f, a.Matches[1].Iou, 4);
    }

    [Fact]
    public void Compare_OneModelBoxForTwoReferenceBoxes_MatchesOnlyOnce()
    {
        var reference = new[] { new Det(0, 0.9f, 0.5f, 0.5f, 0.2f, 0.2f), new Det(0, 0.8f, 0.5f, 0.5f, 0.2f, 0.2f) };
        var model = new[] { new Det(0, 0.9f, 0.5f, 0.5f, 0.2f, 0.2f) };

        var a = DetectionAgreement.Compare(reference, model, 0.5f);

        Assert.Equal(1, a.Found);
        Assert.NotNull(a.Matches[0].Model);
        Assert.Null(a.Matches[1].Model);
    }
}
