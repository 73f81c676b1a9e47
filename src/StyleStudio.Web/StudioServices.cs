using System.Text.Encodings.Web;
using System.Text.Unicode;
using Hangfire;
using StyleStudio.Web.Evaluations;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using MudBlazor.Services;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using StyleStudio.Application.Cluster;
using StyleStudio.Data.Import;
using StyleStudio.Data.Storage;
using StyleStudio.Models.Download;
using StyleStudio.Models.Hubs;
using StyleStudio.Models.Local;
using StyleStudio.Serving;
using StyleStudio.Training.Runtime;
using StyleStudio.Web.Api;
using StyleStudio.Web.Api.Studio;
using StyleStudio.Web.Login;
using StyleStudio.Web.Models;
using StyleStudio.Web.Services;
using StyleStudio.Web.Training;

namespace StyleStudio.Web;

/// <summary>All of the studio's service registrations, in one place.</summary>
public static class StudioServices
{
    public static IServiceCollection AddStudio(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddLocalization(localization => localization.ResourcesPath = "Resources");
        // Pages carry Chinese as UTF-8 text, not as &#x..; escapes (the default encoder escapes everything beyond Latin).
        services.AddSingleton(HtmlEncoder.Create(UnicodeRanges.All));
        // The studio's data, job queue, runs and their events: embedded, or shared with a cluster's workers.
        services.AddStudioCore(configuration);
        var studio = StudioHosting.ReadOptions(configuration);
        services.AddOptions<ApiOptions>().Bind(configuration.GetSection(ApiOptions.Section))
            .Validate(o => o.MaxConcurrent >= 1 && o.MaxQueued >= 0, "Studio:Api:MaxConcurrent must be at least 1 and Studio:Api:MaxQueued 0 or more")
            .ValidateOnStart();
        AddApiAccess(services, configuration);
        services.AddStudioOpenApi();
        // Caps on what one import may take (zip bombs, giant lines and cells, kept rejections): Studio:ImportLimits:*.
        services.Configure<ImportLimits>(configuration.GetSection($"{StudioOptions.Section}:ImportLimits"));
        // Antiforgery and circuit keys stay with the studio's data (a container's volume), so a restart keeps forms valid.
        // They are protected by the folder's permissions like the data itself, so the warning that they are stored
        // unencrypted says nothing new and is kept out of the console. A cluster's studio processes share them through
        // the database, under one application name (by default it is the install path, which differs between machines).
        var protection = services.AddDataProtection();
        if (studio.Clustered) protection.SetApplicationName("StyleStudio").PersistKeysToStore();
        else protection.PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(studio.DataFolder, "keys")));
        services.AddLogging(logging => logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error));
        services.AddSingleton<DatasetImports>();
        services.AddSingleton<StyleStudio.Web.Pairs.CorpusImports>();
        services.AddSingleton<StyleStudio.Web.Pairs.PairMining>();
        // Serving: one host loads bases and attaches adapters; everything that generates goes through the service.
        services.Configure<ServingOptions>(configuration.GetSection(ServingOptions.Section));
        services.AddSingleton(provider => new ModelHost(provider.GetRequiredService<IOptions<ServingOptions>>().Value));
        services.AddSingleton<IModelDirectory>(provider => new StudioModelDirectory(
            () => provider.GetRequiredService<ModelCatalog>().Folder, provider.GetRequiredService<DataStore>()));
        services.AddSingleton<GenerationService>();
        services.AddSingleton<StyleStudio.Web.Rating.RatingStudies>();
        services.AddTransient<StyleStudio.Web.Components.Rating.RatingTexts>();   // the rating pages' shared words, localized
        services.AddSingleton<StyleStudio.Web.Annotation.AnnotationEvents>();
        services.AddSingleton<StyleStudio.Web.Annotation.AnnotationQueues>();
        services.AddSingleton<RunMerges>();
        services.AddSingleton<RunExports>();
        services.AddSingleton<StyleStudio.Web.Styles.StyleCatalog>();
        services.AddSingleton<EvaluationEvents>();
        services.AddSingleton<EvaluationRuns>();
        services.AddTransient<EvaluationReportLanguage>();
        services.AddTransient<EvaluationJob>();
        services.AddSingleton<StyleStudio.Web.Pairs.PairGenerationEvents>();
        services.AddSingleton<StyleStudio.Web.Pairs.PairGenerations>();
        services.AddTransient<StyleStudio.Web.Pairs.PairGenerationJob>();
        services.AddSingleton(provider => new LocalModels(provider.GetRequiredService<IOptions<StudioOptions>>().Value.ResolvedModelsFolder));
        services.AddSingleton<IModelUsers, StudioModelUsers>();
        services.AddSingleton(provider => new ModelDownloader(HubHttp.CreateClient(), provider.GetRequiredService<IOptions<StudioOptions>>().Value.Hubs));
        services.AddSingleton<ModelDownloads>();
        services.AddTransient<DownloadJob>();
        // Embedded, the studio trains its runs itself; in a cluster its workers do (`stylestudio worker`).
        if (!studio.Clustered) services.AddTrainingServer(studio);
        // Evaluations rewrite through the serving engine, one at a time, beside training rather than behind it.
        services.AddHangfireServer(server =>
        {
            server.Queues = [EvaluationJob.Queue];
            server.WorkerCount = 1;
            server.CancellationCheckInterval = TimeSpan.FromSeconds(1);
        });
        // Pair generations rewrite one text after another (through the engine or an outside endpoint), beside evaluations.
        services.AddHangfireServer(server =>
        {
            server.Queues = [StyleStudio.Web.Pairs.PairGenerationJob.Queue];
            server.WorkerCount = 1;
            server.CancellationCheckInterval = TimeSpan.FromSeconds(1);
        });
        // A second server for downloads: network-bound, a few at once, never behind a training run.
        services.AddHangfireServer(server =>
        {
            server.Queues = [DownloadJob.Queue];
            server.WorkerCount = 2;
            server.CancellationCheckInterval = TimeSpan.FromSeconds(1);
        });
        return services;
    }

    /// <summary>API keys and who may use the API, the training hub and the job dashboard; see <see cref="ApiAccess"/>.</summary>
    static void AddApiAccess(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ApiKeyOptions>().Configure(keys => ApiKeyOptions.Read(configuration.GetSection(ApiKeyOptions.Section), keys)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiKeyOptions>, ApiKeyOptionsValidation>();
        services.AddSingleton<ApiKeys>();
        services.AddSingleton<ApiAccess>();
        services.AddSingleton<GenerationSlots>();
        // No default scheme: endpoints name the policy they need — the API caller (the training hub) or, when a password
        // is configured, the signed-in user (pages).
        services.Configure<LoginOptions>(configuration.GetSection(LoginOptions.Section));
        services.AddSingleton<StudioLogin>();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null)
            .AddCookie(StudioLogin.Scheme, cookie =>
            {
                cookie.LoginPath = StudioLogin.Path;
                cookie.Cookie.Name = "StyleStudio.SignIn";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.ExpireTimeSpan = TimeSpan.FromDays(14);
                cookie.SlidingExpiration = true;
            });
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiKeyAuthentication.Policy, policy => policy.AddAuthenticationSchemes(ApiKeyAuthentication.SchemeName).RequireAuthenticatedUser())
            .AddPolicy(StudioLogin.Policy, policy => policy.AddAuthenticationSchemes(StudioLogin.Scheme).RequireAuthenticatedUser());
    }
}
