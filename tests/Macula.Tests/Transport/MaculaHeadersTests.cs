using Macula.Rpc;
using Macula.Transport;

namespace Macula.Tests.Transport;

public sealed class MaculaHeadersTests
{
    [Fact]
    public void Keeps_order_and_repeats_and_grows_past_its_capacity()
    {
        var headers = new MaculaHeaders(1);
        headers.Add("a", "1");
        headers.Add("b", "2");
        headers.Add("A", "3");
        headers.Add("c", "4");
        headers.Add("d", "5");

        Assert.Equal([new("a", "1"), new("b", "2"), new("A", "3"), new("c", "4"), new("d", "5")], headers.ToArray());
        Assert.Equal("1", headers["A"]);
        Assert.Equal(5, headers.Count);
    }

    [Fact]
    public void Remove_and_set_replace_every_value_and_keep_the_rest_in_order()
    {
        var headers = new MaculaHeaders(0);
        headers.Add("a", "1");
        headers.Add("b", "2");
        headers.Add("A", "3");
        headers.Add("c", "4");

        Assert.True(headers.Remove("a"));
        Assert.False(headers.Remove("a"));
        Assert.Equal([new("b", "2"), new("c", "4")], headers.ToArray());

        headers["b"] = "x";
        headers["c"] = null;
        Assert.Equal([new("b", "x")], headers.ToArray());
        Assert.False(headers.TryGetValue("c", out string missing));
        Assert.Equal(string.Empty, missing);
    }

    [Fact]
    public void A_shared_array_is_never_written()
    {
        KeyValuePair<string, string>[] shared = [new(WireProtocol.StatusHeader, "ok"), new("x", "1")];
        var headers = MaculaHeaders.Shared(shared);

        headers.Remove("x");
        headers.Add("y", "2");
        var other = MaculaHeaders.Shared(shared);
        other.Add("z", "3");
        var cleared = MaculaHeaders.Shared(shared);
        cleared.Clear();
        cleared.Add("w", "4");

        Assert.Equal([new(WireProtocol.StatusHeader, "ok"), new("x", "1")], shared);
        Assert.Equal([new(WireProtocol.StatusHeader, "ok"), new("y", "2")], headers.ToArray());
        Assert.Equal([new(WireProtocol.StatusHeader, "ok"), new("x", "1"), new("z", "3")], other.ToArray());
        Assert.Equal([new("w", "4")], cleared.ToArray());
    }

    [Fact]
    public void Clear_empties_for_reuse_and_a_copy_is_independent()
    {
        var headers = new MaculaHeaders(2);
        headers.Add("a", "1");
        var copy = headers.Copy();
        headers.Clear();
        headers.Add("b", "2");
        copy.Add("c", "3");

        Assert.Equal([new("b", "2")], headers.ToArray());
        Assert.Equal([new("a", "1"), new("c", "3")], copy.ToArray());
        Assert.Equal(12 + 1 + 1 + 4, headers.WireLength);
    }

    [Fact]
    public void Refuses_bad_names_values_and_capacity()
    {
        var headers = new MaculaHeaders();
        Assert.Throws<ArgumentException>(() => headers.Add("a b", "1"));
        Assert.Throws<ArgumentException>(() => headers.Add("a", "1\r\n"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaculaHeaders(-1));
        Assert.Empty(headers);
    }
}
