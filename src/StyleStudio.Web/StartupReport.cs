using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using StyleStudio.Training.Runtime;
using StyleStudio.Web.Api;
using StyleStudio.Web.Login;
using StyleStudio.Web.Services;

namespace StyleStudio.Web;

/// <summary>The lines a user reads in the console when the studio has started: where to open it, where it keeps
/// data and looks for models, whom the API answers, and the device models will run on (last: tests wait for it).</summary>
static class StartupReport
{
    public static void Write(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<StudioOptions>>().Value;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var models = app.Services.GetRequiredService<ModelCatalog>().Models();
        var device = app.Services.GetRequiredService<ComputeDevice>();
        app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("StyleStudio").LogInformation(
            """
            StyleStudio is ready.
                  Open:    {Addresses}
                  Data:    {DataFolder}
                  Mode:    {Mode}
                  Models:  {ModelsFolder} ({ModelCount} model(s))
                  Pages:   {Pages}
                  API:     {Api}
                  Device:  {Device}
            """,
            string.Join(", ", addresses), options.DataFolder, Mode(options), options.ResolvedModelsFolder, models.Count,
            app.Services.GetRequiredService<StudioLogin>().Summary, app.Services.GetRequiredService<ApiAccess>().Summary, device);
    }

    /// <summary>Embedded, or the cluster's servers (the password left out) and who trains.</summary>
    static string Mode(StudioOptions options)
    {
        if (!options.Clustered) return "embedded (LiteDB and the job queue in the data folder; this process trains)";
        var postgres = new Npgsql.NpgsqlConnectionStringBuilder(options.Cluster.Postgres) { Password = null };
        return $"cluster '{options.Cluster.Name}' — PostgreSQL {postgres.Host}/{postgres.Database}, Redis {options.Cluster.Redis}; " +
               "runs train on `stylestudio worker` processes, the data folder must be shared with them";
    }
}
