using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Macula.Generators.Tests;

/// <summary>
/// Compares generated files with checked-in snapshots, <c>Snapshots/&lt;Test&gt;.&lt;hint&gt;.verified.cs</c>. On a
/// mismatch it writes <c>.received.cs</c> beside the snapshot and fails with a diff; with the environment variable
/// <c>MACULA_ACCEPT_SNAPSHOTS=1</c> it accepts what was generated instead.
/// </summary>
internal static partial class Snapshot
{
    private const string AcceptVariable = "MACULA_ACCEPT_SNAPSHOTS";

    public static void Verify(IReadOnlyList<GeneratedFile> files, [CallerMemberName] string test = "", [CallerFilePath] string callerFile = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(callerFile)!, "Snapshots");
        Directory.CreateDirectory(directory);
        bool accept = Environment.GetEnvironmentVariable(AcceptVariable) == "1";
        var failures = new StringBuilder();
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            string stem = Path.Combine(directory, test + "." + Path.GetFileNameWithoutExtension(file.HintName));
            string verifiedPath = stem + ".verified.cs";
            string receivedPath = stem + ".received.cs";
            expected.Add(Path.GetFileName(verifiedPath));
            string received = Scrub(file.Text);
            if (accept)
            {
                File.WriteAllText(verifiedPath, received);
                File.Delete(receivedPath);
                continue;
            }

            if (!File.Exists(verifiedPath))
            {
                File.WriteAllText(receivedPath, received);
                failures.Append("New file ").Append(file.HintName).Append(": no snapshot ").Append(Path.GetFileName(verifiedPath))
                    .Append(" yet; review ").Append(Path.GetFileName(receivedPath)).Append(" and rerun with ").Append(AcceptVariable).AppendLine("=1.");
                continue;
            }

            string verified = File.ReadAllText(verifiedPath).ReplaceLineEndings("\n");
            if (verified == received)
            {
                File.Delete(receivedPath);
                continue;
            }

            File.WriteAllText(receivedPath, received);
            failures.Append(file.HintName).Append(" differs from ").Append(Path.GetFileName(verifiedPath)).AppendLine(" (- snapshot, + generated):")
                .AppendLine(Diff(verified, received));
        }

        foreach (string stale in Directory.GetFiles(directory, test + ".*.verified.cs"))
        {
            if (!expected.Contains(Path.GetFileName(stale)))
            {
                if (accept)
                {
                    File.Delete(stale);
                }
                else
                {
                    failures.Append("The generator no longer writes the file of snapshot ").Append(Path.GetFileName(stale)).AppendLine(".");
                }
            }
        }

        Assert.True(failures.Length == 0, failures.ToString());
    }

    /// <summary>The generator's version changes with every release; the rest must not.</summary>
    public static string Scrub(string text) =>
        VersionPattern().Replace(text.ReplaceLineEndings("\n"), "GeneratedCode(\"Macula.Generators\", \"VERSION\")");

    /// <summary>A line diff (longest common subsequence) with two lines of context around each change.</summary>
    internal static string Diff(string expected, string actual)
    {
        string[] a = expected.Split('\n');
        string[] b = actual.Split('\n');
        var lengths = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
        {
            for (int j = b.Length - 1; j >= 0; j--)
            {
                lengths[i, j] = a[i] == b[j] ? lengths[i + 1, j + 1] + 1 : Math.Max(lengths[i + 1, j], lengths[i, j + 1]);
            }
        }

        var lines = new List<(char Kind, int Line, string Text)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                lines.Add((' ', x + 1, a[x]));
                x++;
                y++;
            }
            else if (x < a.Length && (y == b.Length || lengths[x + 1, y] >= lengths[x, y + 1]))
            {
                lines.Add(('-', x + 1, a[x]));
                x++;
            }
            else
            {
                lines.Add(('+', y + 1, b[y]));
                y++;
            }
        }

        var output = new StringBuilder();
        int lastShown = -1;
        for (int i = 0; i < lines.Count; i++)
        {
            bool near = false;
            for (int k = Math.Max(0, i - 2); k <= Math.Min(lines.Count - 1, i + 2) && !near; k++)
            {
                near = lines[k].Kind != ' ';
            }

            if (!near)
            {
                continue;
            }

            if (lastShown >= 0 && i != lastShown + 1)
            {
                output.AppendLine("  ...");
            }

            output.Append(lines[i].Kind).Append(' ').Append(lines[i].Line.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)).Append(": ").AppendLine(lines[i].Text);
            lastShown = i;
        }

        return output.ToString();
    }

    [GeneratedRegex("GeneratedCode\\(\"Macula\\.Generators\", \"[^\"]*\"\\)")]
    private static partial Regex VersionPattern();
}
