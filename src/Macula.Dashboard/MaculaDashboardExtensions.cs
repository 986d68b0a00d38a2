using Macula.Transport;
using Macula.Dashboard;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the Macula dashboard into an ASP.NET Core app.</summary>
public static class MaculaDashboardExtensions
{
    /// <summary>
    /// Serves the live dashboard of the app's Macula mesh under <paramref name="pattern"/>: the page at
    /// <c>{pattern}/</c> and the figures it polls every second at <c>{pattern}/api/stats</c> (JSON). The node is the
    /// app's own: a <see cref="Macula.MaculaNode"/> or the <c>Task&lt;MaculaNode&gt;</c> that <c>AddMacula</c> registers.
    /// The endpoints have no authorization of their own: add it with the returned builder (<c>.RequireAuthorization()</c>).
    /// </summary>
    /// <param name="endpoints">The app's endpoint route builder.</param>
    /// <param name="pattern">Where to serve the dashboard; <c>/macula</c> by default.</param>
    /// <returns>The group of the dashboard's endpoints, to add conventions (authorization, host filters) to.</returns>
    public static RouteGroupBuilder MapMaculaDashboard(this IEndpointRouteBuilder endpoints, string pattern = "/macula")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        var poller = new StatsPoller(endpoints.ServiceProvider);
        var group = endpoints.MapGroup(pattern);
        group.MapGet("/", (HttpContext context) =>
        {
            // Relative asset URLs need the trailing slash: /macula -> /macula/.
            if (!context.Request.Path.Value!.EndsWith('/'))
            {
                return Results.Redirect(context.Request.PathBase + context.Request.Path + "/");
            }

            return Asset("index.html", "text/html; charset=utf-8");
        });
        group.MapGet("/dashboard.js", () => Asset("dashboard.js", "text/javascript; charset=utf-8"));
        group.MapGet("/dashboard.css", () => Asset("dashboard.css", "text/css; charset=utf-8"));
        group.MapGet("/api/stats", async (HttpContext context) =>
        {
            try
            {
                var bytes = await poller.GetAsync(context.RequestAborted).ConfigureAwait(false);
                return Results.Bytes(bytes, "application/json");
            }
            catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException or MaculaTransportException)
            {
                // No node, a node that stopped, or a mesh that cannot be asked: the page shows the reason and retries.
                return Results.Problem(ex.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "The Macula mesh cannot be asked for stats");
            }
        });
        return group;
    }

    private static IResult Asset(string name, string contentType)
    {
        var bytes = DashboardAssets.Get(name);
        return Results.Bytes(bytes, contentType);
    }
}
