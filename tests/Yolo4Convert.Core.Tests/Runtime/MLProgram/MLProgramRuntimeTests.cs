using CoreML.Specification.MILSpec;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Yolo4Convert.Runtime;
using Yolo4Convert.Runtime.MLProgram;

namespace Yolo4Convert.Tests.Runtime.MLProgram;

/// <summary>The ML Program interpreter on hand-built packages, against the ops' formulas written out directly.</summary>
public sealed class MLProgramRuntimeTests
{
    private static float[] Seeded(int count, int seed) => [.. Enumerable.Range(0, count).Select(i => (float)Math.Sin((i * 12.9898) + seed))];

    private static Tensor Image(int c, int h, int w) => new(new TensorShape(c, h, w), [.. Enumerable.Range(0, c * h * w).Select(i => (float)((i * 37) % 256))]);

    private static float At(Tensor x, int c, int y, int xx) => y < 0 || y >= x.H || xx < 0 || xx >= x.W ? 0f : x.Data[(((c * x.H) + y) * x.W) + xx];

    [Fact]
    public void Conv_CustomPadsStrideTwoAndLeaky_MatchTheFormula()
    {
        var b = new MilPackageBuilder(3, 7, 7);
        var weights = Seeded(4 * 3 * 3 * 3, 1);
        var bias = Seeded(4, 2);
        b.Scalar("inv255", 1f / 255);
        b.Op("mul", "scaled", [1, 3, 7, 7], ("x", [MilPackageBuilder.Input]), ("y", ["inv255"]));
        b.Const("w", [4, 3, 3, 3], weights, blob: true);
        b.Const("b", [4], bias);
        b.Ints("strides", [2, 2]);
        b.Text("pad_type", "custom");
        b.Ints("pad", [1, 0, 1, 0]);
        b.Ints("dilations", [1, 1]);
        b.Ints("groups", [1], scalar: true);
        b.Op("conv", "conv", [1, 4, 3, 3], ("x", ["scaled"]), ("weight", ["w"]), ("bias", ["b"]), ("strides", ["strides"]), ("pad_type", ["pad_type"]),
            ("pad", ["pad"]), ("dilations", ["dilations"]), ("groups", ["groups"]));
        b.Scalar("alpha", 0.1f);
        b.Op("leaky_relu", "out", [1, 4, 3, 3], ("x", ["conv"]), ("alpha", ["alpha"]));
        var package = b.Write(Fixtures.TempFolder(), ("out", [1, 4, 3, 3]));

        var image = Image(3, 7, 7);
        var result = MLProgramRuntime.Load(TestFiles.OpenFolder(package)).Run(image)["out"];

        Assert.Equal(new TensorShape(4, 3, 3), result.Shape);
        var scaled = new Tensor(image.Shape, [.. image.Data.Select(v => v * (1f / 255))]);
        for (var o = 0; o < 4; o++)
        {
            for (var y = 0; y < 3; y++)
            {
                for (var x = 0; x < 3; x++)
                {
                    double sum = bias[o];
                    for (var c = 0; c < 3; c++)
                    {
                        for (var ky = 0; ky < 3; ky++)
                        {
                            for (var kx = 0; kx < 3; kx++)
                            {
                                sum += weights[(((((o * 3) + c) * 3) + ky) * 3) + kx] * At(scaled, c, (y * 2) - 1 + ky, (x * 2) - 1 + kx);
                            }
                        }
                    }

                    var expected = sum > 0 ? sum : 0.1 * sum;
                    Assert.Equal(expected, result.Data[(((o * 3) + y) * 3) + x], 4);
                }
            }
        }
    }

    [Fact]
    public void PoolingSliceUpsampleConcat_MatchTheFormulas()
    {
        var b = new MilPackageBuilder(3, 6, 6);
        b.Ints("k2", [2, 2]);
        b.Ints("s1", [1, 1]);
        b.Ints("s2", [2, 2]);
        b.Text("custom", "custom");
        b.Text("valid", "valid");
        b.Ints("pad", [0, 1, 0, 1]);
        b.Ints("zeros", [0, 0, 0, 0]);
        b.Op("max_pool", "mp", [1, 3, 6, 6], ("x", [MilPackageBuilder.Input]), ("kernel_sizes", ["k2"]), ("strides", ["s1"]), ("pad_type", ["custom"]), ("pad", ["pad"]));
        b.Ints("begin", [0, 1, 0, 0]);
        b.Ints("end", [1, 3, 6, 6]);
        b.Op("slice_by_index", "sl", [1, 2, 6, 6], ("x", [MilPackageBuilder.Input]), ("begin", ["begin"]), ("end", ["end"]));
        b.Op("avg_pool", "ap", [1, 3, 3, 3], ("x", [MilPackageBuilder.Input]), ("kernel_sizes", ["k2"]), ("strides", ["s2"]), ("pad_type", ["valid"]), ("pad", ["zeros"]));
        b.Ints("two", [2], scalar: true);
        b.Op("upsample_nearest_neighbor", "up", [1, 3, 6, 6], ("x", ["ap"]), ("scale_factor_height", ["two"]), ("scale_factor_width", ["two"]));
        b.Ints("axis", [1], scalar: true);
        b.Op("concat", "cat", [1, 8, 6, 6], ("values", ["mp", "sl", "up"]), ("axis", ["axis"]));
        b.Ints("axes", [-2, -1]);
        b.Bool("keep", true);
        b.Op("reduce_mean", "gap", [1, 8, 1, 1], ("x", ["cat"]), ("axes", ["axes"]), ("keep_dims", ["keep"]));
        var package = b.Write(Fixtures.TempFolder(), ("cat", [1, 8, 6, 6]), ("gap", [1, 8, 1, 1]));

        var image = Image(3, 6, 6);
        var outputs = MLProgramRuntime.Load(TestFiles.OpenFolder(package)).Run(image);
        var cat = outputs["cat"];

        for (var y = 0; y < 6; y++)
        {
            for (var x = 0; x < 6; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    // The padded row and column (bottom, right) never win the max.
                    var max = new[] { At(image, c, y, x), y + 1 < 6 ? At(image, c, y + 1, x) : float.MinValue, x + 1 < 6 ? At(image, c, y, x + 1) : float.MinValue,
                        y + 1 < 6 && x + 1 < 6 ? At(image, c, y + 1, x + 1) : float.MinValue }.Max();
                    Assert.Equal(max, At(cat, c, y, x));
                    var (y0, x0) = (y / 2 * 2, x / 2 * 2);
                    var mean = (At(image, c, y0, x0) + At(image, c, y0 + 1, x0) + At(image, c, y0, x0 + 1) + At(image, c, y0 + 1, x0 + 1)) / 4;
                    Assert.Equal(mean, At(cat, 5 + c, y, x), 4);
                }

                Assert.Equal(At(image, 1, y, x), At(cat, 3, y, x));
                Assert.Equal(At(image, 2, y, x), At(cat, 4, y, x));
            }
        }

        for (var c = 0; c < 8; c++)
        {
            Assert.Equal(cat.Data.Skip(c * 36).Take(36).Average(), outputs["gap"].Data[c], 3);
        }
    }

    [Fact]
    public void ActivationsAndBroadcasting_MatchTheFormulas()
    {
        var b = new MilPackageBuilder(3, 2, 2);
        var mean = new[] { 100f, 50f, 20f };
        b.Const("mean", [1, 3, 1, 1], mean);
        b.Op("sub", "centred", [1, 3, 2, 2], ("x", [MilPackageBuilder.Input]), ("y", ["mean"]));
        b.Scalar("k", 64f);
        b.Op("real_div", "z", [1, 3, 2, 2], ("x", ["centred"]), ("y", ["k"]));
        b.Op("sigmoid", "sig", [1, 3, 2, 2], ("x", ["z"]));
        b.Op("tanh", "th", [1, 3, 2, 2], ("x", ["z"]));
        b.Scalar("one", 1f);
        b.Op("elu", "elu", [1, 3, 2, 2], ("x", ["z"]), ("alpha", ["one"]));
        b.Op("softplus", "sp", [1, 3, 2, 2], ("x", ["z"]));
        b.Op("maximum", "mx", [1, 3, 2, 2], ("x", ["sig"]), ("y", ["th"]));
        b.Op("relu", "relu", [1, 3, 2, 2], ("x", ["z"]));
        b.Op("add", "sum", [1, 3, 2, 2], ("x", ["mx"]), ("y", ["elu"]));
        b.Op("minimum", "mn", [1, 3, 2, 2], ("x", ["sp"]), ("y", ["relu"]));
        b.Op("exp", "ex0", [1, 3, 2, 2], ("x", ["mn"]));
        b.Op("identity", "ex", [1, 3, 2, 2], ("x", ["ex0"]));
        var package = b.Write(Fixtures.TempFolder(), ("sum", [1, 3, 2, 2]), ("ex", [1, 3, 2, 2]));

        var image = Image(3, 2, 2);
        var outputs = MLProgramRuntime.Load(TestFiles.OpenFolder(package)).Run(image);
        for (var i = 0; i < 12; i++)
        {
            var z = (image.Data[i] - mean[i / 4]) / 64.0;
            var expectedSum = Math.Max(1 / (1 + Math.Exp(-z)), Math.Tanh(z)) + (z > 0 ? z : Math.Exp(z) - 1);
            var expectedExp = Math.Exp(Math.Min(Math.Log(1 + Math.Exp(z)), Math.Max(z, 0)));
            Assert.Equal(expectedSum, outputs["sum"].Data[i], 5);
            Assert.Equal(expectedExp, outputs["ex"].Data[i], 5);
        }
    }

    [Fact]
    public void Abs_OfTheStableMish_IsTheMagnitude()
    {
        var b = new MilPackageBuilder(1, 2, 3);
        b.Scalar("mid", 128f);
        b.Op("sub", "centred", [1, 1, 2, 3], ("x", [MilPackageBuilder.Input]), ("y", ["mid"]));
        b.Op("abs", "out", [1, 1, 2, 3], ("x", ["centred"]));
        var package = b.Write(Fixtures.TempFolder(), ("out", [1, 1, 2, 3]));

        var image = Image(1, 2, 3);
        var outputs = MLProgramRuntime.Load(TestFiles.OpenFolder(package)).Run(image);

        Assert.Equal(image.Data.Select(v => Math.Abs(v - 128f)), outputs["out"].Data);
    }

    [Fact]
    public void Fp16Program_RoundsEveryFp16ValueToHalf()
    {
        var b = new MilPackageBuilder(1, 2, 3);
        b.Text("fp16", "fp16");
        b.Op("cast", "x16", [1, 1, 2, 3], DataType.Float16, ("x", [MilPackageBuilder.Input]), ("dtype", ["fp16"]));
        b.Const("scale", [1, 1, 2, 3], [0.1f, 0.2f, 0.3f, 1f / 3, 0.7f, 0.9f], DataType.Float16, blob: true);
        b.Op("mul", "y16", [1, 1, 2, 3], DataType.Float16, ("x", ["x16"]), ("y", ["scale"]));
        b.Text("fp32", "fp32");
        b.Op("cast", "out", [1, 1, 2, 3], ("x", ["y16"]), ("dtype", ["fp32"]));
        var package = b.Write(Fixtures.TempFolder(), ("out", [1, 1, 2, 3]));

        var pixels = new Tensor(new TensorShape(1, 2, 3), [201.3f, 17.77f, 255f, 3.14159f, 99.9f, 123.456f]);
        var runtime = MLProgramRuntime.Load(TestFiles.OpenFolder(package));
        var result = runtime.Run(pixels)["out"];

        var scale = new[] { 0.1f, 0.2f, 0.3f, 1f / 3, 0.7f, 0.9f };
        for (var i = 0; i < 6; i++)
        {
            var expected = (float)(Half)((float)(Half)pixels.Data[i] * (float)(Half)scale[i]);
            Assert.Equal(expected, result.Data[i]);
        }

        Assert.NotEqual((float)((double)pixels.Data[0] * 0.1), result.Data[0]);
    }

    [Fact]
    public void Fp32Program_WithHalfEmulation_RoundsEveryValue()
    {
        var b = new MilPackageBuilder(1, 1, 2);
        b.Scalar("third", 1f / 3);
        b.Op("mul", "out", [1, 1, 1, 2], ("x", [MilPackageBuilder.Input]), ("y", ["third"]));
        var package = b.Write(Fixtures.TempFolder(), ("out", [1, 1, 1, 2]));
        var runtime = MLProgramRuntime.Load(TestFiles.OpenFolder(package));
        var pixels = new Tensor(new TensorShape(1, 1, 2), [100.1f, 7.3f]);

        var full = runtime.Run(pixels)["out"].Data;
        var half = runtime.Run(pixels, ComputePrecision.Fp16)["out"].Data;

        Assert.Equal(pixels.Data[0] * (1f / 3), full[0]);
        Assert.Equal((float)(Half)((float)(Half)pixels.Data[0] * (float)(Half)(1f / 3)), half[0]);
        Assert.NotEqual(full[0], half[0]);
    }
}
