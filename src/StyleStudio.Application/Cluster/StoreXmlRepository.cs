using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.DataProtection.Repositories;
using StyleStudio.Data.Storage;

namespace StyleStudio.Application.Cluster;

/// <summary>
/// Data protection's key ring in the studio's store (<see cref="KeyRingStore"/>): in a cluster, every studio process
/// behind the load balancer protects and unprotects antiforgery tokens, circuits and sign-in cookies with the same keys.
/// </summary>
public sealed class StoreXmlRepository(DataStore store) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements() => store.KeyRing.All().Select(XElement.Parse).ToList();

    public void StoreElement(XElement element, string friendlyName) =>
        store.KeyRing.Add(friendlyName, element.ToString(SaveOptions.DisableFormatting));
}

public static class StoreKeyRingExtensions
{
    /// <summary>Keeps the key ring in the registered <see cref="DataStore"/> (see <see cref="StoreXmlRepository"/>).</summary>
    public static IDataProtectionBuilder PersistKeysToStore(this IDataProtectionBuilder builder)
    {
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(provider => new ConfigureOptions<KeyManagementOptions>(
            keys => keys.XmlRepository = new StoreXmlRepository(provider.GetRequiredService<DataStore>())));
        return builder;
    }
}
