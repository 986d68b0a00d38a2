namespace Macula.Cli.Tests;
