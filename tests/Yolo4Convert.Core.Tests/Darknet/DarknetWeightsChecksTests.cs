using System.Buffers.Binary;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Tests.Darknet;

public sealed class DarknetWeightsChecksTests
{
    // Layer 0: 4 filters with batch norm over 3 channels, 1x1 → biases, scales, means, variances (4 each), 12 kernel values.
    // Layer 1: 2 filters without batch norm, 1x1 → 2 biases, 8 kernel values.
    private const string Cfg = "[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nbatch_normalize=1\nfilters=4\nsize=1\nactivation=leaky\n[convolutional]\nfilters=2\nsize=1\nactivation=linear\n";

    private static (byte[] Bytes, ShapedNetwork Shaped) Weights()
    {
        var shaped = DarknetReader.ReadCfg(Cfg, "t.cfg");
        using var stream = new MemoryStream();
        SeededWeights.Write(shaped, stream);
        return (stream.ToArray(), shaped);
    }

    private static void Set(byte[] bytes, int floatIndex, float value) => BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(20 + (4 * floatIndex)), value);

    private static WarningLog Read(byte[] bytes, ShapedNetwork shaped, bool strict = false)
    {
        var log = new WarningLog { Strict = strict };
        DarknetWeightsReader.Read(shaped, new MemoryStream(bytes), "w.weights", log);
        return log;
    }

    [Fact]
    public void Read_NaNAndInfInOneLayer_IsOneWarningWithCountsAndTheFirstOffset()
    {
        var (bytes, shaped) = Weights();
        Set(bytes, 20, float.NaN);            // kernel value 4 of layer 0 (after 16 bias/BN values)
        Set(bytes, 22, float.NaN);
        Set(bytes, 27, float.NegativeInfinity);
        Set(bytes, 1, float.PositiveInfinity); // a bias, earlier in the file

        var warning = Assert.Single(Read(bytes, shaped).Items);

        Assert.Equal("w.weights@24: warning: layer 0 [convolutional] (t.cfg:5:1) holds 2 NaN, 1 +Inf, 1 -Inf among its 28 values (first in the biases, at byte 24); expected finite numbers. Hint: the training diverged or the file is damaged: the model would output NaN; use another checkpoint.",
            warning.ToString());
    }

    [Fact]
    public void Read_NegativeVariance_WarnsWithFilterValueAndOffset()
    {
        var (bytes, shaped) = Weights();
        Set(bytes, 12 + 2, -0.25f); // variance of filter 2
        Set(bytes, 12 + 3, -1f);

        var warning = Assert.Single(Read(bytes, shaped).Items);

        Assert.Equal("w.weights@76: warning: layer 0 [convolutional] (t.cfg:5:1) has 2 negative batch-norm variances (first: filter 2, -0.25, at byte 76); expected variances >= 0. Hint: Darknet divides by sqrt(variance + 1e-5), which is NaN or huge for these filters; the file is damaged or was not written by Darknet.",
            warning.ToString());
    }

    [Fact]
    public void Read_NaNInSecondLayer_IsLocatedInThatLayer()
    {
        var (bytes, shaped) = Weights();
        Set(bytes, 28 + 5, float.NaN);

        var warning = Assert.Single(Read(bytes, shaped).Items);

        Assert.StartsWith("w.weights@152: warning: layer 1 [convolutional] (t.cfg:10:1) holds 1 NaN among its 10 values (first in the kernel, at byte 152)", warning.ToString());
    }

    [Fact]
    public void Read_NaNUnderStrict_IsAnError()
    {
        var (bytes, shaped) = Weights();
        Set(bytes, 0, float.NaN);

        var ex = Assert.Throws<DarknetFormatException>(() => Read(bytes, shaped, strict: true));

        Assert.StartsWith("w.weights@20: error: layer 0 [convolutional] (t.cfg:5:1) holds 1 NaN among its 28 values", ex.Message);
    }

    [Fact]
    public void Read_CleanWeights_HasNoWarnings()
    {
        var (bytes, shaped) = Weights();

        Assert.Empty(Read(bytes, shaped).Items);
    }
}
