using MudBlazor.Services;
using Microsoft.Extensions.Options;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Runtime;
using StyleStudio.Web.Services;

namespace StyleStudio.Web;

/// <summary>All of the studio's service registrations, in one place.</summary>
public static class StudioServices
{
    public static IServiceCollection AddStudio(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.Configure<StudioOptions>(configuration.GetSection(StudioOptions.Section));
        // Probing CUDA loads native libraries; do it once, on first use.
        services.AddSingleton(_ => ComputeDevice.Select(DevicePreference.Auto));
        // One store per process: it holds the data folder's lock, and LiteDB serves concurrent circuits and jobs itself.
        services.AddSingleton(provider => DataStore.Open(provider.GetRequiredService<IOptions<StudioOptions>>().Value.DataFolder));
        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<DatasetImports>();
        return services;
    }
}
