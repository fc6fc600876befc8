using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Tests.Darknet;

public sealed class DarknetKeysTests
{
    private const string Net = "[net]\nwidth=64\nheight=64\nchannels=3\n";

    private static WarningLog Read(string cfg, bool strict = false)
    {
        var log = new WarningLog { Strict = strict };
        DarknetReader.ReadCfg(cfg, "t.cfg", warnings: log);
        return log;
    }

    [Fact]
    public void Build_MisspelledKey_WarnsWithLineAndSuggestion()
    {
        var log = Read(Net + "[convolutional]\nfiltres=16\nsize=3\n");

        var warning = Assert.Single(log.Items);
        Assert.Equal("t.cfg:6:1: warning: unknown key 'filtres' in [convolutional]; did you mean 'filters'? Darknet ignores it (\"Unused field\"). Hint: rename it to 'filters', or the default value applies.",
            warning.ToString());
    }

    [Fact]
    public void Build_MisspelledKeyUnderStrict_IsAnErrorAtThatLine()
    {
        var ex = Assert.Throws<DarknetFormatException>(() => Read(Net + "[convolutional]\nfilters=16\nstirde=2\n", strict: true));

        Assert.StartsWith("t.cfg:7:1: error: unknown key 'stirde' in [convolutional]; did you mean 'stride'?", ex.Message);
    }

    [Fact]
    public void Build_KeyFarFromEveryKnownKey_WarnsWithoutSuggestion()
    {
        var warning = Assert.Single(Read(Net + "[maxpool]\nzebra=1\n").Items);

        Assert.Contains("unknown key 'zebra' in [maxpool] Darknet ignores it", warning.Message);
    }

    [Fact]
    public void Build_TrainingKeysDarknetReads_AreNotWarnedAbout()
    {
        var cfg = Net + "batch=64\nsubdivisions=16\nlearning_rate=0.001\nmosaic=1\n"
            + "[convolutional]\nfilters=18\nsize=1\nactivation=linear\nstopbackward=1\n"
            + "[yolo]\nmask=0,1,2\nanchors=1,1,2,2,3,3\nnum=3\nclasses=1\nignore_thresh=.7\niou_loss=ciou\nnms_kind=greedynms\nbeta_nms=0.6\nrandom=1\njitter=.3\n"
            + "[dropout]\nprobability=.5\n";

        Assert.Empty(Read(cfg).Items);
    }

    [Fact]
    public void Build_PaddingBesidePadAndDilationBesideSize1_AreKnownKeys()
    {
        // parse_convolutional reads both even when pad=1 overrides padding and size=1 ignores dilation.
        Assert.Empty(Read(Net + "[convolutional]\nsize=1\npad=1\npadding=3\ndilation=2\n").Items);
    }

    [Fact]
    public void Read_EveryZooCfg_HasNoWarnings()
    {
        foreach (var cfg in Fixtures.KnownWeightSizes.Keys)
        {
            var log = new WarningLog();
            DarknetReader.ReadCfg(File.ReadAllText(Fixtures.Shared(cfg)), cfg, warnings: log);
            Assert.True(log.Items.Count == 0, $"{cfg}: {string.Join("\n", log.Items)}");
        }
    }

    [Fact]
    public void Build_KeyGivenTwice_WarnsThatTheSecondIsIgnored()
    {
        var warning = Assert.Single(Read(Net + "[convolutional]\nfilters=16\nsize=3\nfilters=32\n").Items);

        Assert.Equal("t.cfg:8:1: warning: 'filters' appears again in [convolutional] (first at line 6, which Darknet uses); this value '32' is ignored. Hint: remove one of the two lines.",
            warning.ToString());
    }

    [Fact]
    public void Parse_LineWithoutEquals_WarnsWithItsLine()
    {
        var warning = Assert.Single(Read(Net + "[maxpool]\nsize 2\nstride=2\n").Items);

        Assert.Equal("t.cfg:6:1: warning: line 'size 2' in [maxpool] has no '='; expected 'key=value'. Darknet skips it. Hint: fix or remove the line; a comment starts with '#' or ';'.",
            warning.ToString());
    }
}
