using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StyleStudio.Application;
using StyleStudio.Application.Cluster;
using StyleStudio.Application.Runs;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio worker</c>: a training worker of a cluster, for a GPU machine. It reads the same settings as the studio
/// (environment variables such as <c>Studio__Cluster__Postgres</c>, <c>Studio__Cluster__Redis</c>,
/// <c>Studio__DataFolder</c> — the shared folder), takes queued runs from the cluster's Hangfire queue one at a time,
/// trains them and publishes every step to the studio over Redis. SIGTERM or Ctrl+C stops it after the current step
/// with a checkpoint saved; the run goes back to the queue for another worker.
/// </summary>
static class WorkerCommand
{
    public static Command Create()
    {
        var queues = new Option<string[]>("--queues")
        {
            Description = "job queues to take work from (comma-separated); workers train, so: training",
            DefaultValueFactory = _ => [TrainingJob.Queue],
            AllowMultipleArgumentsPerToken = true,
        };
        var device = new Option<string?>("--device") { Description = "cpu, cuda or cuda:N for every run this worker trains (default: each run's own setting)" };
        var name = new Option<string?>("--name") { Description = "the worker's name in the studio and Hangfire's dashboard (default: the machine's name)" };
        var command = new Command("worker", "Train queued runs of a studio cluster (PostgreSQL + Redis; see README, Cluster mode)") { queues, device, name };
        command.SetAction(async (parse, cancellation) =>
        {
            var asked = parse.GetValue(queues)!.SelectMany(q => q.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            if (asked.FirstOrDefault(q => q != TrainingJob.Queue) is { } other)
            {
                Console.Error.WriteLine($"error: a worker serves the '{TrainingJob.Queue}' queue; '{other}' jobs run in the studio");
                return 2;
            }
            var builder = Host.CreateApplicationBuilder();
            StudioOptions studio;
            try
            {
                studio = StudioHosting.ReadOptions(builder.Configuration);
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
            if (!studio.Clustered)
            {
                Console.Error.WriteLine("error: a worker joins a cluster: set Studio__Mode=cluster, Studio__Cluster__Postgres, " +
                                        "Studio__Cluster__Redis and Studio__DataFolder (a shared folder) as on the studio (README, Cluster mode)");
                return 2;
            }
            ParentProcess.EndWithDotnetRun();   // killing `dotnet run … worker` must stop the worker, not orphan it
            if (parse.GetValue(device) is { } pinned)
            {
                try
                {
                    TrainingWorkerOptions.ParseDevice(pinned);
                }
                catch (ArgumentException e)
                {
                    Console.Error.WriteLine($"error: {e.Message}");
                    return 2;
                }
                if (TrainingWorkerOptions.CudaIndex(pinned) is { } index) TrainingWorkerOptions.PinCudaDevice(index);
            }
            string worker = parse.GetValue(name) ?? Environment.MachineName;
            builder.Services.AddStudioCore(builder.Configuration);
            builder.Services.Configure<TrainingWorkerOptions>(options => options.Device = parse.GetValue(device));
            builder.Services.AddTrainingServer(studio, worker);
            // A step in progress finishes and its checkpoint is written before the worker exits.
            builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromMinutes(10));
            using var host = builder.Build();
            host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() =>
                Console.WriteLine($"worker {worker}: training queued runs of cluster '{studio.Cluster.Name}'; data folder {studio.DataFolder}" +
                                  (parse.GetValue(device) is { } d ? $"; device {d}" : "")));
            await host.RunAsync(cancellation);
            return 0;
        });
        return command;
    }
}
