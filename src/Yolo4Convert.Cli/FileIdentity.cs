using System.Runtime.InteropServices;

namespace Yolo4Convert.Cli;

/// <summary>
/// Which file a path names on disk: device and inode, read with Linux <c>statx</c> following symlinks, so two paths
/// naming one file through a symlink or a hard link compare equal. Elsewhere (or when statx is missing) the resolved
/// full path stands in.
/// </summary>
internal readonly record struct FileIdentity(ulong Device, ulong Inode, string? Path)
{
    // statx(2): AT_FDCWD, STATX_INO; struct statx has the same 256-byte layout on every Linux architecture.
    private const int AtFdCwd = -100;
    private const uint StatxIno = 0x100;
    private const int StatxSize = 256;
    private const int InodeOffset = 32;
    private const int DevMajorOffset = 136;
    private const int DevMinorOffset = 140;

    private static bool _statxMissing;

    /// <summary>The identity of an existing file or folder, or null when nothing is at the path.</summary>
    public static FileIdentity? Of(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full) && !Directory.Exists(full))
        {
            return null;
        }

        if (OperatingSystem.IsLinux() && !_statxMissing)
        {
            var buffer = new byte[StatxSize];
            try
            {
                if (NativeMethods.Statx(AtFdCwd, full, 0, StatxIno, buffer) == 0)
                {
                    // The struct is in the machine's byte order.
                    var major = BitConverter.ToUInt32(buffer, DevMajorOffset);
                    var minor = BitConverter.ToUInt32(buffer, DevMinorOffset);
                    var inode = BitConverter.ToUInt64(buffer, InodeOffset);
                    return new FileIdentity(((ulong)major << 32) | minor, inode, null);
                }
            }
            catch (EntryPointNotFoundException)
            {
                _statxMissing = true;
            }
            catch (DllNotFoundException)
            {
                _statxMissing = true;
            }
        }

        return new FileIdentity(0, 0, Resolve(full));
    }

    /// <summary>
    /// The identity a path will have once written: the file's own when it exists, else its folder's plus the name
    /// (so two not-yet-existing outputs reached through different spellings of one folder still compare equal).
    /// </summary>
    public static (FileIdentity? File, FileIdentity? Folder, string Name) OfTarget(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        return (Of(full), Of(System.IO.Path.GetDirectoryName(full) ?? full), System.IO.Path.GetFileName(full));
    }

    private static string Resolve(string full)
    {
        try
        {
            return new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return full;
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
    }
}
