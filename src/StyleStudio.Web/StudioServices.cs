using MudBlazor.Services;
using StyleStudio.Training.Runtime;

namespace StyleStudio.Web;

/// <summary>All of the studio's service registrations, in one place.</summary>
public static class StudioServices
{
    public static IServiceCollection AddStudio(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        // Probing CUDA loads native libraries; do it once, on first use.
        services.AddSingleton(_ => ComputeDevice.Select(DevicePreference.Auto));
        return services;
    }
}
