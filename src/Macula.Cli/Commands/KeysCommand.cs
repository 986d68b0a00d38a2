using System.CommandLine;

namespace Macula.Cli.Commands;

/// <summary>
/// <c>macula keys new|show|sign</c>: make node identities and realm keys (NATS nkeys), show a key file's public key
/// and node id, and sign node certificates with a realm key. Works offline: no NATS connection.
/// </summary>
internal static class KeysCommand
{
    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var command = new Command("keys", "Make node and realm keys, show them, and sign node certificates (no NATS needed)");
        command.Subcommands.Add(CreateNew(options, console));
        command.Subcommands.Add(CreateShow(options, console));
        command.Subcommands.Add(CreateSign(options, console));
        return command;
    }

    private static Command CreateNew(GlobalOptions options, CliConsole console)
    {
        var kind = new Argument<string>("kind") { Description = "node (a node identity, nkey SU...) or realm (a realm key that signs certificates, nkey SA...)" };
        kind.AcceptOnlyFromAmong("node", "realm");
        var output = new Option<string?>("--out") { Description = "Write the seed to this new file (owner-only); without it the seed is printed", HelpName = "file" };
        var command = new Command("new", "Make a new key pair");
        command.Arguments.Add(kind);
        command.Options.Add(output);
        MaculaCli.SetAction(command, options, console, (parse, settings, _) =>
        {
            string? path = parse.GetValue(output);
            if (parse.GetValue(kind) == "realm")
            {
                using var realm = RealmKey.Create();
                Save(path, realm.Save);
                Write(console, settings, "realm", realm.PublicKey, nodeId: null, path, path is null ? realm.GetSeed() : null);
            }
            else
            {
                using var node = NodeIdentity.Create();
                Save(path, node.Save);
                Write(console, settings, "node", node.PublicKey, node.DefaultNodeId, path, path is null ? node.GetSeed() : null);
            }

            return Task.CompletedTask;
        });
        return command;
    }

    private static Command CreateShow(GlobalOptions options, CliConsole console)
    {
        var file = new Argument<string>("file") { Description = "A key file written by 'macula keys new' (or any NATS user or account nkey seed file)" };
        var command = new Command("show", "Show the public key (and for a node, its node id) of a key file");
        command.Arguments.Add(file);
        MaculaCli.SetAction(command, options, console, (parse, settings, _) =>
        {
            string path = parse.GetValue(file)!;
            if (IsRealmSeedFile(path))
            {
                using var realm = Load(path, RealmKey.Load);
                Write(console, settings, "realm", realm.PublicKey, nodeId: null, path, seed: null);
            }
            else
            {
                using var node = Load(path, NodeIdentity.Load);
                Write(console, settings, "node", node.PublicKey, node.DefaultNodeId, path, seed: null);
            }

            return Task.CompletedTask;
        });
        return command;
    }

    private static Command CreateSign(GlobalOptions options, CliConsole console)
    {
        var realmKey = new Option<string>("--realm-key") { Description = "The realm key file (from 'macula keys new realm')", HelpName = "file", Required = true };
        var nodeKey = new Option<string>("--node-key") { Description = "The node's public key (U..., from 'macula keys show')", HelpName = "key", Required = true };
        var nodeId = new Option<string>("--node-id") { Description = "The node id the certificate grants", HelpName = "id", Required = true };
        var days = new Option<int>("--days") { Description = "How many days the certificate is valid [default: 365]", HelpName = "days", DefaultValueFactory = _ => 365 };
        days.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value is < 1 or > 3650)
            {
                result.AddError($"--days {value} is out of range: use 1 to 3650.");
            }
        });
        var command = new Command("sign", "Sign a certificate that lets a node's key speak as a node id in the realm (--realm)");
        command.Options.Add(realmKey);
        command.Options.Add(nodeKey);
        command.Options.Add(nodeId);
        command.Options.Add(days);
        MaculaCli.SetAction(command, options, console, (parse, settings, _) =>
        {
            using var realm = Load(parse.GetValue(realmKey)!, RealmKey.Load);
            var certificate = realm.Issue(settings.Realm, parse.GetValue(nodeId)!, parse.GetValue(nodeKey)!, TimeSpan.FromDays(parse.GetValue(days)));
            if (settings.Json)
            {
                console.WriteJson(json =>
                {
                    json.WriteStartObject();
                    json.WriteString("certificate", certificate.ToString());
                    json.WriteString("realm", certificate.Realm);
                    json.WriteString("node_id", certificate.NodeId);
                    json.WriteString("node_key", certificate.NodePublicKey);
                    json.WriteString("issuer", certificate.Issuer);
                    json.WriteString("not_before", Format.Time(certificate.NotBefore));
                    json.WriteString("expires", Format.Time(certificate.Expires));
                    json.WriteEndObject();
                });
            }
            else
            {
                console.Out.WriteLine(certificate.ToString());
            }

            return Task.CompletedTask;
        });
        return command;
    }

    private static void Save(string? path, Action<string> save)
    {
        if (path is null)
        {
            return;
        }

        try
        {
            save(path);
        }
        catch (IOException ex)
        {
            throw CliFailure.Failed(File.Exists(path) ? $"'{path}' already exists: a key file is never overwritten." : $"cannot write '{path}': {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw CliFailure.Failed($"cannot write '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>Whether the first seed line of the file is a realm (account) seed rather than a node (user) seed.</summary>
    private static bool IsRealmSeedFile(string path)
    {
        try
        {
            foreach (string line in File.ReadLines(path))
            {
                string trimmed = line.Trim();
                if (trimmed.StartsWith("SA", StringComparison.Ordinal))
                {
                    return true;
                }

                if (trimmed.StartsWith("SU", StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CliFailure.Failed($"cannot read '{path}': {ex.Message}", ex);
        }
    }

    private static T Load<T>(string path, Func<string, T> load)
    {
        try
        {
            return load(path);
        }
        catch (InvalidDataException ex)
        {
            throw CliFailure.Failed(ex.Message, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CliFailure.Failed($"cannot read '{path}': {ex.Message}", ex);
        }
    }

    private static void Write(CliConsole console, GlobalSettings settings, string kind, string publicKey, string? nodeId, string? file, string? seed)
    {
        if (settings.Json)
        {
            console.WriteJson(json =>
            {
                json.WriteStartObject();
                json.WriteString("kind", kind);
                json.WriteString("public_key", publicKey);
                if (nodeId is not null)
                {
                    json.WriteString("node_id", nodeId);
                }

                if (file is not null)
                {
                    json.WriteString("file", file);
                }

                if (seed is not null)
                {
                    json.WriteString("seed", seed);
                }

                json.WriteEndObject();
            });
            return;
        }

        console.Out.WriteLine($"kind        {kind}");
        console.Out.WriteLine($"public key  {publicKey}");
        if (nodeId is not null)
        {
            console.Out.WriteLine($"node id     {nodeId}");
        }

        if (file is not null)
        {
            console.Out.WriteLine($"file        {file}");
        }

        if (seed is not null)
        {
            console.Out.WriteLine($"seed        {seed}   (secret: keep it safe)");
        }

        console.Out.Flush();
    }
}
