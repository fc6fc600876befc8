using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Tests.Numerics;

public sealed class HeadDifferenceTests
{
    private static Tensor T(params float[] v) => new(new TensorShape(1, 1, v.Length), v);

    [Fact]
    public void Of_NaNInEitherSide_IsCountedAndKeptOutOfTheDifference()
    {
        var d = HeadDifference.Of(T(1f, float.NaN, 3f, float.PositiveInfinity), T(1.5f, 2f, float.NaN, 4f));

        Assert.Equal((0.5, 2L, 1L), (d.MaxAbsolute, d.NonFiniteActual, d.NonFiniteExpected));
        Assert.True(d.HasNonFinite);
        Assert.Equal(0.5 / 4, d.MaxRelative, 12);
    }

    [Fact]
    public void Of_FiniteHeads_HasNoNonFinite()
    {
        var d = HeadDifference.Of(T(1f, -2f), T(1f, -2.5f));

        Assert.False(d.HasNonFinite);
        Assert.Equal(0.5, d.MaxAbsolute);
    }
}
