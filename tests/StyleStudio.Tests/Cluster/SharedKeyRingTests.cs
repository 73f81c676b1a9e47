using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using StyleStudio.Application.Cluster;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Cluster;

/// <summary>
/// Two studio processes of a cluster — here two service providers, each with its own store on one PostgreSQL database,
/// installed in different folders — protect with one key ring: what one protects (an antiforgery token, a circuit, a
/// sign-in cookie) the other unprotects.
/// </summary>
public sealed class SharedKeyRingTests(PostgresTestDatabase database) : IClassFixture<PostgresTestDatabase>
{
    [Fact]
    public void What_one_studio_process_protects_another_unprotects()
    {
        string shared = Directory.CreateTempSubdirectory("cluster-keys-").FullName;
        string connection = database.NewSchema();
        try
        {
            using var first = Studio(shared, connection, "/opt/studio-a");
            using var second = Studio(shared, connection, "/srv/studio-b");
            var protectedText = first.GetDataProtector("antiforgery").Protect("token 令牌");
            Assert.Equal("token 令牌", second.GetDataProtector("antiforgery").Unprotect(protectedText));
            Assert.Single(second.GetRequiredService<DataStore>().KeyRing.All());   // one key, made once, read by both
        }
        finally
        {
            Directory.Delete(shared, recursive: true);
        }
    }

    /// <summary>A process's data protection as the studio configures it in cluster mode.</summary>
    static ServiceProvider Studio(string shared, string connection, string contentRoot)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(_ => DataStore.OpenShared(shared, connection));
        // The default application name is the content root, which differs between machines; the studio sets its own.
        services.AddDataProtection(options => options.ApplicationDiscriminator = contentRoot).SetApplicationName("StyleStudio").PersistKeysToStore();
        return services.BuildServiceProvider();
    }
}
