using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Macula.Cli.Json;
using Macula.Serialization;

namespace Macula.Cli.Tests;

/// <summary>
/// The JSON and MessagePack conversions of <c>macula call</c>, checked byte for byte against Python's msgpack (an
/// independent implementation, whose packb of json.loads follows the same rules: int, float64, str, array, map).
/// </summary>
public sealed class JsonMessagePackTests
{
    [Theory]
    [InlineData("[42, 8]")]
    [InlineData("[0, -1, -32, -33, 127, 128, 255, 256, 65535, 65536, -2147483648, 4294967296, -9223372036854775808, 18446744073709551615]")]
    [InlineData("[1.5, 1.0, -0.25, 1e300, 3e0, 0.1]")]
    [InlineData("""["", "h\u00e9llo \u2603", "a\"b"]""")]
    [InlineData("[true, false, null, [], {}]")]
    [InlineData("""[{"a": 1, "b": [1, {"c": null}]}, [[["deep"]]]]""")]
    public void Json_arguments_become_the_same_bytes_as_python_msgpack(string json)
    {
        byte[] ours = JsonToMessagePack.ConvertArguments(json);

        byte[] python = Python("import json,sys,msgpack; sys.stdout.buffer.write(msgpack.packb(json.loads(sys.stdin.read())))", json);
        Assert.Equal(Convert.ToHexString(python), Convert.ToHexString(ours));
    }

    [Fact]
    public void A_long_string_and_a_large_array_use_the_wider_headers()
    {
        string json = "[\"" + new string('x', 70_000) + "\", [" + string.Join(",", Enumerable.Range(0, 20)) + "]]";

        byte[] python = Python("import json,sys,msgpack; sys.stdout.buffer.write(msgpack.packb(json.loads(sys.stdin.read())))", json);
        Assert.Equal(python, JsonToMessagePack.ConvertArguments(json));
    }

    [Fact]
    public void A_number_beyond_float64_is_a_usage_error()
    {
        var failure = Assert.Throws<CliFailure>(() => JsonToMessagePack.ConvertArguments("[1e999]"));

        Assert.Equal(ExitCodes.Usage, failure.ExitCode);
        Assert.Contains("1e999", failure.Message);
    }

    [Theory]
    [InlineData("msgpack.packb([1, -5, 2**64 - 1, -2**63, 1.5, 'x', None, True, False])", """[1,-5,18446744073709551615,-9223372036854775808,1.5,"x",null,true,false]""")]
    [InlineData("msgpack.packb(b'\\x00\\x01\\xff')", "\"AAH/\"")]
    [InlineData("msgpack.packb({'a': {1: 'one', False: 'no', None: 'n', 2.5: 'f', (1, 2): 'arr', b'k': 'bin'}})", """{"a":{"1":"one","false":"no","null":"n","2.5":"f","[1,2]":"arr","\"aw==\"":"bin"}}""")]
    [InlineData("msgpack.packb(msgpack.Timestamp(1700000000, 0))", "\"2023-11-14T22:13:20Z\"")]
    [InlineData("msgpack.packb(msgpack.Timestamp(1700000000, 500000000))", "\"2023-11-14T22:13:20.5Z\"")]
    [InlineData("msgpack.packb(msgpack.Timestamp(-1, 123456789))", "\"1969-12-31T23:59:59.123456789Z\"")]
    [InlineData("msgpack.packb(msgpack.ExtType(5, b'abc'))", """{"ext":5,"data":"YWJj"}""")]
    [InlineData("b'\\xc7\\x03\\xff' + b'abc'", """{"ext":-1,"data":"YWJj"}""")]
    [InlineData("msgpack.packb([float('nan'), float('inf'), float('-inf')])", """["NaN","Infinity","-Infinity"]""")]
    [InlineData("struct.pack('>Bf', 0xca, 0.1)", "0.1")]
    public void MessagePack_results_become_json(string pythonExpression, string expected)
    {
        byte[] packed = Python($"import sys,struct,msgpack; sys.stdout.buffer.write({pythonExpression})", string.Empty);

        Assert.Equal(expected, ToJson(packed));
    }

    [Fact]
    public void A_timestamp_beyond_datetime_keeps_its_bytes()
    {
        // 2**40 seconds fits ISO-8601 in principle but not .NET's DateTime (year 36812): shown as raw ext data.
        byte[] packed = Python("import sys,msgpack; sys.stdout.buffer.write(msgpack.packb(msgpack.Timestamp(2**40, 1)))", string.Empty);

        using var document = JsonDocument.Parse(ToJson(packed));
        Assert.Equal(-1, document.RootElement.GetProperty("ext").GetInt32());
        Assert.Equal(12, document.RootElement.GetProperty("data").GetBytesFromBase64().Length);
    }

    [Fact]
    public void Trailing_bytes_are_an_error() =>
        Assert.Throws<MaculaSerializationException>(() => ToJson([0x01, 0x02]));

    [Fact]
    public void Json_through_messagepack_and_back_is_unchanged()
    {
        const string json = """[{"name":"box","sizes":[1.5,2.25],"count":3,"tags":{"x":null,"y":[true,false]}},"☃",-7]""";

        Assert.Equal(json, ToJson(JsonToMessagePack.ConvertArguments(json)));
    }

    private static string ToJson(byte[] messagePack)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            MessagePackToJson.Write(writer, messagePack);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static byte[] Python(string script, string stdin)
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var process = Process.Start(start)!;
        try
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
            using var output = new MemoryStream();
            var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
            string error = process.StandardError.ReadToEnd();
            copy.Wait(TimeSpan.FromSeconds(30));
            Assert.True(process.WaitForExit(30_000), "python3 did not finish");
            Assert.True(process.ExitCode == 0, error);
            return output.ToArray();
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
