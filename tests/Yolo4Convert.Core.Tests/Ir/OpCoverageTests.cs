using Yolo4Convert.CoreML;
using Yolo4Convert.Graph;
using Yolo4Convert.Ir;
using Yolo4Convert.Keras;

namespace Yolo4Convert.Tests.Ir;

/// <summary>Every target decides, for every IR op and every activation, to map it or to refuse it with a reason.</summary>
public sealed class OpCoverageTests
{
    public static TheoryData<string> Targets => ["Core ML NeuralNetwork", "Core ML ML Program", "Keras"];

    private static OpCoverage Coverage(string target) => target switch
    {
        "Core ML NeuralNetwork" => NeuralNetworkLowering.Coverage,
        "Core ML ML Program" => Yolo4Convert.CoreML.MLProgram.MLProgramLowering.Coverage,
        "Keras" => KerasLowering.Coverage,
        _ => throw new ArgumentException(target, nameof(target)),
    };

    [Fact]
    public void IrOpKinds_ListsEveryOpRecord()
    {
        var records = typeof(IrOp).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(IrOp)) && !t.IsAbstract).OrderBy(t => t.Name).ToList();

        Assert.Equal(records, IrOpKinds.All.OrderBy(t => t.Name));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void EveryOp_IsMappedOrRefusedWithAReason(string target)
    {
        var coverage = Coverage(target);
        foreach (var op in IrOpKinds.All)
        {
            var mapped = coverage.MappedOps.Contains(op);
            var refused = coverage.RefusedOps.TryGetValue(op, out var reason) && !string.IsNullOrWhiteSpace(reason);
            Assert.True(mapped ^ refused, $"{target}: {op.Name} is {(mapped ? "both mapped and refused" : "neither mapped nor refused with a reason")}");
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void EveryActivation_IsMappedOrRefusedWithAReason(string target)
    {
        var coverage = Coverage(target);
        foreach (var activation in Enum.GetValues<Activation>())
        {
            var mapped = coverage.MappedActivations.Contains(activation);
            var refused = coverage.RefusedActivations.TryGetValue(activation, out var reason) && !string.IsNullOrWhiteSpace(reason);
            Assert.True(mapped ^ refused, $"{target}: activation {ActivationNames.Name(activation)} is {(mapped ? "both mapped and refused" : "neither mapped nor refused with a reason")}");
        }
    }

    [Fact]
    public void Keras_RefusesAConstantScaleWithTheLayerAndWhy()
    {
        var text = "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=18\nsize=1\nactivation=leaky\n[upsample]\nstride=2\nscale=0.5\n[yolo]\nclasses=1\nnum=3\n";
        var graph = DarknetLowering.Lower(Yolo4Convert.Darknet.DarknetReader.ReadCfg(text, "scaled.cfg"));

        var ex = Assert.Throws<Yolo4Convert.Diagnostics.UnsupportedFeatureException>(() => new KerasLowering(graph).Lower());

        Assert.StartsWith("scaled.cfg:9:1: error: layer 1 [upsample] uses a multiplication by a constant", ex.Message, StringComparison.Ordinal);
    }
}
