using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Macula.Tests.Serialization;

/// <summary>One line of the oracle's answer: what it decoded (canonical text) and how it encodes that again.</summary>
internal sealed record OracleAnswer(string? Repr, byte[]? Bytes, string? Error);

/// <summary>
/// Runs Debian's python3-msgpack (an independent implementation) once over a whole corpus. Protocol over
/// stdin/stdout, one line per value: in, <c>d HEX</c> (re-encode floats as float64) or <c>s HEX</c> (as float32);
/// out, <c>REPR\tHEX</c> or <c>ERR\tmessage</c>. After the answers it prints <c>--corpus--</c> and its own corpus,
/// one <c>REPR\tHEX</c> line per value it encoded itself.
/// </summary>
internal static class PythonMsgpack
{
    public const string PythonPath = "/usr/bin/python3";

    private const string MissingHint =
        "Debian's python3-msgpack is needed as the MessagePack oracle (/usr/bin/python3 with msgpack 1.0.x): run ./test.sh, or apt-get install -y python3-msgpack";

    // Timestamps decode with timestamp=0 (msgpack.Timestamp keeps seconds and nanoseconds exactly, where
    // timestamp=3 would round to microseconds) and msgpack re-encodes a Timestamp in its smallest form, as the spec
    // says and as the C# writer does. use_list=False makes arrays tuples, so arrays can be map keys.
    private const string Script = """
        import sys, struct
        try:
            import msgpack
            from msgpack import ExtType, Timestamp
        except ImportError:
            sys.stderr.write("NO_MSGPACK\n")
            sys.exit(3)

        # msgpack 1.0.3's ExtType refuses codes below 0, yet the wire allows -128..-2 (reserved, still valid ext):
        # build the tuple past that check so such values decode and re-encode exactly.
        def ext(code, data):
            return tuple.__new__(ExtType, (code, data))

        def rep(o, out):
            if o is None: out.append("nil")
            elif o is True: out.append("true")
            elif o is False: out.append("false")
            elif isinstance(o, int): out.append("i:%d" % o)
            elif isinstance(o, float): out.append("f:" + struct.pack(">d", o).hex())
            elif isinstance(o, str): out.append("s:" + o.encode("utf-8").hex())
            elif isinstance(o, bytes): out.append("b:" + o.hex())
            elif isinstance(o, Timestamp): out.append("t:%d:%d" % (o.seconds, o.nanoseconds))
            elif isinstance(o, ExtType): out.append("x:%d:%s" % (o.code, o.data.hex()))
            elif isinstance(o, (tuple, list)):
                out.append("[")
                for i, x in enumerate(o):
                    if i: out.append(",")
                    rep(x, out)
                out.append("]")
            elif isinstance(o, dict):
                out.append("{")
                for i, (k, v) in enumerate(o.items()):
                    if i: out.append(",")
                    rep(k, out); out.append(":"); rep(v, out)
                out.append("}")
            else: raise TypeError(repr(type(o)))

        def text(o):
            out = []
            rep(o, out)
            return "".join(out)

        def corpus():
            v = []
            ints = [0, 1, 5, 31, 127, 128, 200, 255, 256, 1000, 32767, 32768, 65535, 65536, 2**31 - 1, 2**31,
                    2**32 - 1, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1,
                    -1, -5, -31, -32, -33, -100, -127, -128, -129, -1000, -32767, -32768, -32769,
                    -2**31 + 1, -2**31, -2**31 - 1, -2**53 - 1, -2**63 + 1, -2**63]
            v += [(i, False) for i in ints]
            v += [(None, False), (True, False), (False, False)]
            v += [(f, False) for f in [0.0, -0.0, 1.5, -2.25, 0.1, 1e300, -1e-300, 5e-324, 1.7976931348623157e308,
                                       float("inf"), float("-inf"), float("nan"), 3.141592653589793]]
            v += [(f, True) for f in [0.0, -0.0, 1.5, -2.5, 0.1, 3.4028234663852886e38, 1.401298464324817e-45,
                                      float("inf"), float("-inf"), float("nan")]]
            strs = ["", "a", "a" * 31, "a" * 32, "a" * 255, "a" * 256, "a" * 65535, "a" * 65536,
                    "h\u00e9llo", "\u65e5\u672c\u8a9e", "\U0001F600" * 8, "\u20ac" * 10 + "a", "\u20ac" * 11,
                    "\x00", "e\u0301", "\U0001F468\u200D\U0001F469\u200D\U0001F467", "\u00e9" * 128, "\u00e9" * 32768]
            v += [(s, False) for s in strs]
            v += [(bytes(n % 251 for n in range(size)), False) for size in [0, 1, 31, 32, 255, 256, 65535, 65536]]
            for size in [0, 1, 15, 16, 255, 65535, 65536]:
                v.append((tuple(i % 3 == 0 or i for i in range(size)), False))
            for size in [0, 1, 15, 16, 65535, 65536]:
                v.append(({i: -i for i in range(size)}, False))
            v.append(({"a": 1, "b": [1, 2], "c": {"d": None}, 5: "five", -1: b"\x01", b"k": 1.5,
                       (1, "x"): True, None: False, True: 0, 2.5: "f"}, False))
            deep = "leaf"
            for i in range(60):
                deep = (deep,) if i % 2 else {"k": deep}
            v.append((deep, False))
            v.append(([[], {}, [[]], {"": {}}, "", b""], False))
            for size in [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 255, 256, 65535, 65536]:
                for code in [0, 5, 127, -128, -2]:
                    v.append((ext(code, bytes((n * 7 + code) % 256 for n in range(size))), False))
            for s, n in [(0, 0), (1, 0), (2**32 - 1, 0), (2**32, 0), (0, 1), (1, 999999999), (2**34 - 1, 999999999),
                         (2**34 - 1, 0), (2**34, 0), (-1, 0), (-1, 999999999), (-62135596800, 0),
                         (253402300799, 999999900), (2**63 - 1, 999999999), (-2**63, 0), (1700000000, 123456789)]:
                v.append((Timestamp(s, n), False))
            return v

        def main():
            lines = sys.stdin.read().split("\n")
            out = sys.stdout
            for line in lines:
                if not line:
                    continue
                mode, hexdata = line.split(" ", 1)
                try:
                    o = msgpack.unpackb(bytes.fromhex(hexdata), raw=False, strict_map_key=False, timestamp=0, use_list=False, ext_hook=ext)
                    again = msgpack.packb(o, use_bin_type=True, use_single_float=(mode == "s"))
                    out.write(text(o) + "\t" + again.hex() + "\n")
                except Exception as e:
                    out.write("ERR\t" + type(e).__name__ + ": " + str(e).replace("\n", " ") + "\n")
            out.write("--corpus--\n")
            for o, single in corpus():
                packed = msgpack.packb(o, use_bin_type=True, use_single_float=single)
                # The value as packed: a float32 holds 0.1 rounded, not 0.1.
                if single: o = msgpack.unpackb(packed)
                out.write(text(o) + "\t" + packed.hex() + "\n")
            out.write("--end--\n")
            out.flush()

        main()
        """;

    /// <summary>Sends <paramref name="items"/> to the oracle; returns its answer for each, then its own corpus.</summary>
    public static (List<OracleAnswer> Answers, List<(string Repr, byte[] Bytes)> Corpus) Run(
        IReadOnlyList<(bool SingleFloats, byte[] Bytes)> items)
    {
        var start = new ProcessStartInfo(PythonPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{PythonPath} did not start. {MissingHint}");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"{PythonPath} could not be started ({ex.Message}). {MissingHint}", ex);
        }

        using (process)
        {
            try
            {
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                var input = new StringBuilder();
                foreach (var (single, bytes) in items)
                {
                    input.Append(single ? "s " : "d ").Append(Convert.ToHexStringLower(bytes)).Append('\n');
                }

                process.StandardInput.Write(input.ToString());
                process.StandardInput.Close();
                if (!process.WaitForExit(TimeSpan.FromSeconds(90)) || !stdout.Wait(TimeSpan.FromSeconds(10)))
                {
                    throw new TimeoutException("The python3-msgpack oracle did not finish within 90 s.");
                }

                stderr.Wait(TimeSpan.FromSeconds(10));
                if (process.ExitCode == 3)
                {
                    throw new InvalidOperationException($"msgpack is not importable by {PythonPath}. {MissingHint}");
                }

                if (process.ExitCode != 0)
                {
                    throw new InvalidOperationException($"The python3-msgpack oracle failed with exit code {process.ExitCode}: {stderr.Result}");
                }

                return Parse(stdout.Result, items.Count);
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
    }

    private static (List<OracleAnswer>, List<(string, byte[])>) Parse(string output, int expected)
    {
        var lines = output.Split('\n');
        var answers = new List<OracleAnswer>(expected);
        int i = 0;
        for (; i < lines.Length && lines[i] != "--corpus--"; i++)
        {
            var parts = lines[i].Split('\t', 2);
            answers.Add(parts[0] == "ERR"
                ? new OracleAnswer(null, null, parts[1])
                : new OracleAnswer(parts[0], Convert.FromHexString(parts[1]), null));
        }

        if (answers.Count != expected || i == lines.Length)
        {
            throw new InvalidOperationException($"The oracle answered {answers.Count} lines for {expected} values, or its output was cut short.");
        }

        var corpus = new List<(string, byte[])>();
        for (i++; i < lines.Length && lines[i] != "--end--"; i++)
        {
            var parts = lines[i].Split('\t', 2);
            corpus.Add((parts[0], Convert.FromHexString(parts[1])));
        }

        if (i == lines.Length)
        {
            throw new InvalidOperationException("The oracle's corpus was cut short (no --end-- line).");
        }

        return (answers, corpus);
    }
}
