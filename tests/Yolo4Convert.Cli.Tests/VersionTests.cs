using System.Reflection;

namespace Yolo4Convert.Cli.Tests;

/// <summary>Every local build has its own version, so that `dotnet tool update` installs a rebuild.</summary>
public sealed class VersionTests
{
    [Fact]
    public void LocalBuild_IsADevVersionWithCommitHeightAndShortCommit()
    {
        var version = typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

        // Built from a git checkout (as the tests are); without git it would be plain "0.1.0-dev".
        Assert.Matches(@"^0\.1\.0-dev\.[1-9]\d*\+[0-9a-f]{7,12}$", version);
    }
}
