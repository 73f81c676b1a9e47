using System.Text.Json.Serialization;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.Storage.SQLite;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StyleStudio.Application.Runs;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Runtime;

namespace StyleStudio.Application.Cluster;

/// <summary>
/// What every studio process registers — the web studio and the CLI's worker alike: the studio's data, its job queue,
/// runs and their events. Embedded (the default), that is LiteDB and Hangfire on SQLite in the data folder with events
/// inside the process; in a cluster (<see cref="StudioOptions.Clustered"/>), PostgreSQL for data and jobs and Redis for
/// events, with a <see cref="RunWatchdog"/> that moves the runs of dead workers.
/// </summary>
public static class StudioHosting
{
    /// <summary>The studio's settings as configured; a cluster missing a server is refused here, by setting name.</summary>
    public static StudioOptions ReadOptions(IConfiguration configuration)
    {
        var options = configuration.GetSection(StudioOptions.Section).Get<StudioOptions>() ?? new StudioOptions();
        if (options.Clustered && options.Cluster.Problems().ToList() is { Count: > 0 } problems)
            throw new InvalidOperationException("cluster mode needs its servers: " + string.Join("; ", problems));
        return options;
    }

    public static IServiceCollection AddStudioCore(this IServiceCollection services, IConfiguration configuration)
    {
        var studio = ReadOptions(configuration);
        services.Configure<StudioOptions>(configuration.GetSection(StudioOptions.Section));
        services.Configure<TrainingWorkerOptions>(_ => { });
        // Probing CUDA loads native libraries; do it once, on first use.
        services.AddSingleton(_ => ComputeDevice.Select(DevicePreference.Auto));
        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<TrainingRuns>();
        services.AddSingleton<TrainingEstimates>();
        services.AddSingleton<TrainingWorkers>();
        services.AddTransient<TrainingJob>();
        // Run statuses go out by name ("Running"), as clients in any language read them.
        var signalR = services.AddSignalR().AddJsonProtocol(json => json.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        services.AddHostedService<RunHubBridge>();
        return studio.Clustered ? AddCluster(services, studio, signalR) : AddEmbedded(services, studio);
    }

    static IServiceCollection AddEmbedded(IServiceCollection services, StudioOptions studio)
    {
        // One store per process: it holds the data folder's lock, and LiteDB serves concurrent circuits and jobs itself.
        services.AddSingleton(provider => DataStore.Open(provider.GetRequiredService<IOptions<StudioOptions>>().Value.DataFolder));
        services.AddSingleton(_ => new RunEvents());
        services.AddSingleton<IRunLeases, ProcessRunLeases>();
        // Hangfire's queue lives in SQLite beside the studio's data, so queued and interrupted runs outlive the process.
        // Polled each second (the storage's default is 15 s): a queued download or run should start while the user watches.
        // The data folder may not exist yet (a first start, or Studio:DataFolder set to a new place): Hangfire opens its
        // database before anything else would create it.
        services.AddHangfire((provider, hangfire) => hangfire.UseSQLiteStorage(
            Path.Combine(Directory.CreateDirectory(provider.GetRequiredService<IOptions<StudioOptions>>().Value.DataFolder).FullName, "hangfire.db"),
            new SQLiteStorageOptions { QueuePollInterval = TimeSpan.FromSeconds(1) }));
        return services;
    }

    static IServiceCollection AddCluster(IServiceCollection services, StudioOptions studio, ISignalRServerBuilder signalR)
    {
        var cluster = studio.Cluster;
        services.AddSingleton(cluster);
        services.AddSingleton(_ => DataStore.OpenShared(studio.DataFolder, cluster.Postgres!));
        services.AddSingleton<RedisRunRelay>();
        services.AddHostedService(provider => provider.GetRequiredService<RedisRunRelay>());
        services.AddSingleton(provider =>
        {
            var relay = provider.GetRequiredService<RedisRunRelay>();
            return relay.Events = new RunEvents(relay);
        });
        services.AddSingleton<IRunLeases>(_ => new PostgresRunLeases(cluster.Postgres!));
        services.AddHostedService<RunWatchdog>();
        // The training hub's clients may be connected to any studio process: the worker's updates reach them through Redis.
        signalR.AddStackExchangeRedis(cluster.Redis!, redis => redis.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal(cluster.Name));
        services.AddHangfire(hangfire =>
        {
            InstallHangfireSchema(cluster.Postgres!);
            hangfire.UsePostgreSqlStorage(postgres => postgres.UseNpgsqlConnection(cluster.Postgres),
                new PostgreSqlStorageOptions { QueuePollInterval = TimeSpan.FromSeconds(1), SchemaName = HangfireSchema, PrepareSchemaIfNecessary = false });
        });
        return services;
    }

    const string HangfireSchema = "hangfire";

    /// <summary>
    /// Creates or upgrades Hangfire's tables one process at a time. Its own preparation is not safe when several processes
    /// start together (a cluster's studio and workers coming up at once): one of them failed with "could not find tuple
    /// for constraint". A session advisory lock serialises them; the later ones find the schema current and change nothing.
    /// </summary>
    static void InstallHangfireSchema(string connectionString)
    {
        using var connection = new Npgsql.NpgsqlConnection(connectionString);
        connection.Open();
        using (var take = new Npgsql.NpgsqlCommand("SELECT pg_advisory_lock(@space, 1)", connection))
        {
            take.Parameters.AddWithValue("space", SchemaLockNamespace);
            take.ExecuteNonQuery();
        }
        PostgreSqlObjectsInstaller.Install(connection, HangfireSchema);
        // Closing the connection ends the session and with it the lock.
    }

    /// <summary>Advisory locks of schema installation, apart from the run leases' (<see cref="PostgresRunLeases"/>).</summary>
    const int SchemaLockNamespace = 0x5354;

    /// <summary>
    /// The Hangfire server that trains: one run at a time (one GPU). In a cluster it beats every
    /// <see cref="ClusterOptions.Heartbeat"/>, which the <see cref="RunWatchdog"/> judges it by. Hangfire's own server
    /// timeout (5 minutes, for every server of the storage) stays: shortening it would have each worker drop the studio's
    /// servers, which beat every 30 seconds, as dead.
    /// </summary>
    public static IServiceCollection AddTrainingServer(this IServiceCollection services, StudioOptions studio, string? name = null)
    {
        services.AddHangfireServer(server =>
        {
            server.Queues = [TrainingJob.Queue];
            server.WorkerCount = 1;
            server.CancellationCheckInterval = TimeSpan.FromSeconds(1);
            if (name is not null) server.ServerName = name;
            if (!studio.Clustered) return;
            server.HeartbeatInterval = studio.Cluster.Heartbeat;
            // A step in progress finishes and its checkpoint is written before the worker lets go of the job.
            server.ShutdownTimeout = TimeSpan.FromMinutes(10);
        });
        return services;
    }
}
