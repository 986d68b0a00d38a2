using System.Text;

namespace Macula.Security;

/// <summary>Reading and writing key files: the seed on its own line, comments allowed, created owner-only.</summary>
internal static class KeyFile
{
    public static string? ReadSeed(string path, string seedStart)
    {
        foreach (string line in File.ReadLines(path, Encoding.UTF8))
        {
            string trimmed = line.Trim();
            if (trimmed.StartsWith(seedStart, StringComparison.Ordinal))
            {
                return trimmed;
            }
        }

        return null;
    }

    public static void WriteNew(string path, string comment, string seed)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream, new UTF8Encoding(false));
        writer.Write(comment);
        writer.Write('\n');
        writer.Write(seed);
        writer.Write('\n');
    }
}
