using System.Text.Json.Serialization;
using Macula.Serialization;

namespace Macula.Benchmarks.Codec;

/// <summary>A small DTO of five members, the size of a typical RPC argument or result.</summary>
public sealed class SmallDto
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public double Price { get; set; }

    public bool InStock { get; set; }

    public DateTime UpdatedAt { get; set; }
}

public sealed class LineItem
{
    public string Sku { get; set; } = "";

    public string Description { get; set; } = "";

    public int Quantity { get; set; }

    public double UnitPrice { get; set; }

    public bool Gift { get; set; }
}

/// <summary>An order with line items: the nested, list-bearing case.</summary>
public sealed class Order
{
    public long OrderId { get; set; }

    public string Customer { get; set; } = "";

    public DateTime PlacedAt { get; set; }

    public string Currency { get; set; } = "";

    public List<LineItem> Items { get; set; } = [];

    public double Total { get; set; }
}

[JsonSerializable(typeof(SmallDto))]
[JsonSerializable(typeof(Order))]
internal sealed partial class CodecJsonContext : JsonSerializerContext;

/// <summary>Hand-written in the source generator's shape: nil for null, else an array of members in declaration order.</summary>
internal sealed class SmallDtoFormatter : IMessagePackFormatter<SmallDto?>
{
    public static readonly SmallDtoFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, SmallDto? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(5);
        writer.Write(value.Id);
        writer.Write(value.Name);
        writer.Write(value.Price);
        writer.Write(value.InStock);
        writer.Write(value.UpdatedAt);
    }

    public SmallDto? Deserialize(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        reader.EnterNesting();
        int count = reader.ReadArrayHeader();
        var result = new SmallDto();
        if (count > 0) result.Id = reader.ReadInt32();
        if (count > 1) result.Name = reader.ReadString()!;
        if (count > 2) result.Price = reader.ReadDouble();
        if (count > 3) result.InStock = reader.ReadBoolean();
        if (count > 4) result.UpdatedAt = reader.ReadDateTime();
        for (int i = 5; i < count; i++)
        {
            reader.Skip();
        }

        reader.ExitNesting();
        return result;
    }
}

internal sealed class LineItemFormatter : IMessagePackFormatter<LineItem?>
{
    public static readonly LineItemFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, LineItem? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(5);
        writer.Write(value.Sku);
        writer.Write(value.Description);
        writer.Write(value.Quantity);
        writer.Write(value.UnitPrice);
        writer.Write(value.Gift);
    }

    public LineItem? Deserialize(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        reader.EnterNesting();
        int count = reader.ReadArrayHeader();
        var result = new LineItem();
        if (count > 0) result.Sku = reader.ReadString()!;
        if (count > 1) result.Description = reader.ReadString()!;
        if (count > 2) result.Quantity = reader.ReadInt32();
        if (count > 3) result.UnitPrice = reader.ReadDouble();
        if (count > 4) result.Gift = reader.ReadBoolean();
        for (int i = 5; i < count; i++)
        {
            reader.Skip();
        }

        reader.ExitNesting();
        return result;
    }
}

internal sealed class OrderFormatter : IMessagePackFormatter<Order?>
{
    public static readonly OrderFormatter Instance = new();

    private static readonly IMessagePackFormatter<List<LineItem?>?> Items = new ListFormatter<LineItem?>(LineItemFormatter.Instance);

    public void Serialize(ref MessagePackWriter writer, Order? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(6);
        writer.Write(value.OrderId);
        writer.Write(value.Customer);
        writer.Write(value.PlacedAt);
        writer.Write(value.Currency);
        Items.Serialize(ref writer, value.Items!);
        writer.Write(value.Total);
    }

    public Order? Deserialize(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        reader.EnterNesting();
        int count = reader.ReadArrayHeader();
        var result = new Order();
        if (count > 0) result.OrderId = reader.ReadInt64();
        if (count > 1) result.Customer = reader.ReadString()!;
        if (count > 2) result.PlacedAt = reader.ReadDateTime();
        if (count > 3) result.Currency = reader.ReadString()!;
        if (count > 4) result.Items = Items.Deserialize(ref reader)!;
        if (count > 5) result.Total = reader.ReadDouble();
        for (int i = 6; i < count; i++)
        {
            reader.Skip();
        }

        reader.ExitNesting();
        return result;
    }
}

internal static class CodecSamples
{
    public static SmallDto Small() => new()
    {
        Id = 4711,
        Name = "Widget deluxe",
        Price = 19.99,
        InStock = true,
        UpdatedAt = new DateTime(2025, 3, 14, 15, 9, 26, DateTimeKind.Utc).AddTicks(5_358_979),
    };

    public static Order Order()
    {
        var order = new Order
        {
            OrderId = 9_000_000_123,
            Customer = "ACME Corporation, Purchasing",
            PlacedAt = new DateTime(2025, 3, 14, 15, 9, 26, DateTimeKind.Utc).AddTicks(5_358_979),
            Currency = "EUR",
        };
        for (int i = 0; i < 10; i++)
        {
            order.Items.Add(new LineItem
            {
                Sku = $"SKU-{10000 + (i * 37)}",
                Description = $"Stainless hex bolt M{6 + i} x {40 + (i * 5)} mm",
                Quantity = 1 + (i * 3),
                UnitPrice = 0.25 + (i * 1.5),
                Gift = i % 4 == 0,
            });
            order.Total += order.Items[i].Quantity * order.Items[i].UnitPrice;
        }

        return order;
    }
}
