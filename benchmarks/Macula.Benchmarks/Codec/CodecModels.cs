using System.Text.Json.Serialization;
using MessagePack;

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

/// <summary><see cref="SmallDto"/> in MessagePack-CSharp's contract layout: an array indexed by [Key].</summary>
[MessagePackObject]
public sealed class SmallKeyed
{
    [Key(0)]
    public int Id { get; set; }

    [Key(1)]
    public string Name { get; set; } = "";

    [Key(2)]
    public double Price { get; set; }

    [Key(3)]
    public bool InStock { get; set; }

    [Key(4)]
    public DateTime UpdatedAt { get; set; }
}

[MessagePackObject]
public sealed class LineItemKeyed
{
    [Key(0)]
    public string Sku { get; set; } = "";

    [Key(1)]
    public string Description { get; set; } = "";

    [Key(2)]
    public int Quantity { get; set; }

    [Key(3)]
    public double UnitPrice { get; set; }

    [Key(4)]
    public bool Gift { get; set; }
}

/// <summary><see cref="Order"/> in MessagePack-CSharp's contract layout.</summary>
[MessagePackObject]
public sealed class OrderKeyed
{
    [Key(0)]
    public long OrderId { get; set; }

    [Key(1)]
    public string Customer { get; set; } = "";

    [Key(2)]
    public DateTime PlacedAt { get; set; }

    [Key(3)]
    public string Currency { get; set; } = "";

    [Key(4)]
    public List<LineItemKeyed> Items { get; set; } = [];

    [Key(5)]
    public double Total { get; set; }
}

/// <summary>Makes the generator write formatters for the benchmark DTOs, as it does for any service's types.</summary>
[MaculaService]
public interface ICodecModels
{
    Task UseAsync(SmallDto small, Order order, SmallKeyed smallKeyed, OrderKeyed orderKeyed);
}

[JsonSerializable(typeof(SmallDto))]
[JsonSerializable(typeof(Order))]
internal sealed partial class CodecJsonContext : JsonSerializerContext;

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

    public static SmallKeyed SmallKeyed()
    {
        var small = Small();
        return new() { Id = small.Id, Name = small.Name, Price = small.Price, InStock = small.InStock, UpdatedAt = small.UpdatedAt };
    }

    public static OrderKeyed OrderKeyed()
    {
        var order = Order();
        var keyed = new OrderKeyed { OrderId = order.OrderId, Customer = order.Customer, PlacedAt = order.PlacedAt, Currency = order.Currency, Total = order.Total };
        foreach (var item in order.Items)
        {
            keyed.Items.Add(new LineItemKeyed { Sku = item.Sku, Description = item.Description, Quantity = item.Quantity, UnitPrice = item.UnitPrice, Gift = item.Gift });
        }

        return keyed;
    }
}
