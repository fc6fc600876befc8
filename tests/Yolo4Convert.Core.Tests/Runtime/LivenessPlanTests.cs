using CoreML.Specification;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Tests.Runtime;

public sealed class LivenessPlanTests
{
    private static NeuralNetworkLayer Layer(string output, params string[] inputs)
    {
        var layer = new NeuralNetworkLayer { Name = output };
        layer.Input.Add(inputs);
        layer.Output.Add(output);
        return layer;
    }

    [Fact]
    public void For_BranchingNetwork_ReleasesEachBlobAfterItsLastReaderAndNeverAnOutput()
    {
        // image → a → b → c (route of a and b) → head; b also feeds a dead end d.
        var layers = new[] { Layer("a", "image"), Layer("b", "a"), Layer("d", "b"), Layer("c", "a", "b"), Layer("head", "c") };

        var plan = LivenessPlan.For(layers, ["head"]);

        Assert.Equal(["image"], plan.ReleaseAfter[0].ToArray());
        Assert.Empty(plan.ReleaseAfter[1].ToArray());
        Assert.Equal(["d"], plan.ReleaseAfter[2].ToArray());
        Assert.Equal(["a", "b"], plan.ReleaseAfter[3].ToArray());
        Assert.Equal(["c"], plan.ReleaseAfter[4].ToArray());
    }
}
