using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>The progress line: with a delay it stays silent for quick runs and appears for long ones.</summary>
public sealed class ProgressLineTests
{
    [Fact]
    public void WithADelay_NothingIsDrawnBeforeIt_AndTheStepAfterIt()
    {
        var error = new LockedWriter();
        using (var progress = ProgressLine.On(error, "convert", TimeSpan.FromMilliseconds(600)))
        {
            progress.Step("writing demo.mlmodel");
            Assert.Equal(string.Empty, error.Text);

            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (error.Text.Length == 0 && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }

            Assert.Matches(@"^\rconvert: writing demo\.mlmodel… (0\.[6-9]|[1-9]\d*\.\d) s", error.Text);
        }

        Assert.Matches(@"\r +\r$", error.Text); // erased at the end
    }

    [Fact]
    public async Task Convert_QuickRunOnATerminal_ShowsNoProgress()
    {
        var output = Path.Combine(Fixtures.TempFolder(), "demo.mlmodel");

        var (exit, terminal) = await VerifyProgressTests.RunOnATerminal(Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), output);

        Assert.True(exit == 0, terminal);
        var seconds = Seconds(terminal);
        Assert.True(seconds < 1.5, $"the demo took {seconds} s");
        Assert.DoesNotContain("convert: ", terminal);
    }

    [Fact]
    public async Task Convert_SlowRunOnATerminal_ShowsTheStepAfterTheDelayAndErasesIt()
    {
        var output = Path.Combine(Fixtures.TempFolder(), "tiny.mlmodel");

        // A delay of 0.3 s instead of 2 s: the same rule, on a conversion that takes about a second.
        var (exit, terminal) = await VerifyProgressTests.RunOnATerminal(
            new Dictionary<string, string> { ["YOLO4CONVERT_PROGRESS_AFTER"] = "0.3" },
            Fixtures.Shared("cfg/yolov4-tiny.cfg"), Fixtures.SeededWeightsFile("cfg/yolov4-tiny.cfg"), output, "--quantize", "kmeans4");

        Assert.True(exit == 0, terminal);
        var seconds = Seconds(terminal);
        Assert.True(seconds > 0.5, $"the conversion took only {seconds} s: pick a slower one for this test");
        Assert.Matches(@"convert: writing tiny\.mlmodel… \d+\.\d s", terminal);
        Assert.DoesNotMatch(@"convert: [^\r\n]*… 0\.[0-2] s", terminal);
        Assert.Matches(@" +\rwrote ", terminal); // erased before the result
    }

    // The time the conversion reports at the end of its "wrote" line.
    private static double Seconds(string terminal) =>
        double.Parse(System.Text.RegularExpressions.Regex.Match(terminal, @", (\d+\.\d\d) s\r?\n").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    // The timer draws from another thread.
    private sealed class LockedWriter : StringWriter
    {
        private readonly Lock _gate = new();

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    return ToString();
                }
            }
        }

        public override void Write(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }
    }
}
