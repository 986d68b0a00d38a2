using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;

namespace Macula.Generators;

/// <summary>
/// The contract fingerprint of one method (docs/rpc-semantics.md, "Contract fingerprints"): the first 4 bytes of
/// SHA-256, as 8 lowercase hex digits, of <c>{wire name}({required parameter types}[,stream {item type}])->unary|stream {result}</c>
/// (the stream part for a method that takes an <c>IAsyncEnumerable&lt;T&gt;</c> from the client).
/// Types are named without their namespace and without nullable reference annotations; parameters with a default value
/// and <c>params</c> arrays are left out, because the wire lets an older caller omit them. So renaming a parameter,
/// moving a DTO to another namespace or adding a defaulted parameter keeps the fingerprint; changing a parameter's or
/// the result's type, adding or removing a required parameter, or turning a call into a stream (either way) changes it.
/// </summary>
internal static class ContractFingerprint
{
    public static string Of(string wireName, bool streaming, string? result, List<string> parameters, string? input = null)
    {
        var text = new StringBuilder(wireName.Length + 32);
        text.Append(wireName).Append('(');
        for (int i = 0; i < parameters.Count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(parameters[i]);
        }

        if (input is not null)
        {
            text.Append(parameters.Count > 0 ? ",stream " : "stream ").Append(input);
        }

        text.Append(")->").Append(streaming ? "stream " : "unary ").Append(result ?? "void");
        using var sha = SHA256.Create();
        byte[] hash = sha.ComputeHash(Encoding.UTF8.GetBytes(text.ToString()));
        var hex = new StringBuilder(8);
        for (int i = 0; i < 4; i++)
        {
            hex.Append(hash[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return hex.ToString();
    }
}
