using Yolo4Convert.CoreML;

namespace Yolo4Convert.Tests.CoreML;

public sealed class ClassNamesMetadataTests
{
    [Fact]
    public void EncodeDecode_NameWithCommaAndQuotes_StaysOneClass()
    {
        string[] names = ["traffic light, red", "say \"hi\"", "Ünïcode", "[x]"];

        var text = ClassNamesMetadata.Encode(names);

        Assert.Equal("[\"traffic light, red\",\"say \\\"hi\\\"\",\"Ünïcode\",\"[x]\"]", text);
        Assert.Equal(names, ClassNamesMetadata.Decode(text));
    }

    [Fact]
    public void Decode_OldCommaSeparatedForm_IsStillRead()
    {
        Assert.Equal(["person", "bicycle", "car"], ClassNamesMetadata.Decode("person,bicycle,car"));
    }

    [Fact]
    public void Decode_OldFormStartingWithABracket_FallsBackToCommas()
    {
        Assert.Equal(["[a]", "b"], ClassNamesMetadata.Decode("[a],b"));
    }
}
