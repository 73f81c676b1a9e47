using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using StyleStudio.Web.Api;

namespace StyleStudio.Tests.Web;

/// <summary>
/// Who may use the API, decided from the client's address and the key it sent: a test cannot easily connect from
/// another machine, so the decision is checked here directly for remote addresses, and over real HTTP elsewhere for
/// loopback. Keys come from configuration in both documented shapes, and only their hashes are kept.
/// </summary>
public class ApiAccessTests
{
    const string TeamKey = "sk-team-a-0123456789";
    const string PlainKey = "sk-plain-9876543210";

    static ApiKeyOptions KeysFrom(Dictionary<string, string?> settings)
    {
        var options = new ApiKeyOptions();
        ApiKeyOptions.Read(new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(ApiKeyOptions.Section), options);
        return options;
    }

    static readonly Dictionary<string, string?> BothShapes = new()
    {
        ["Studio:ApiKeys:0"] = PlainKey,
        ["Studio:ApiKeys:1:Name"] = "team-a",
        ["Studio:ApiKeys:1:Key"] = "sha256:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(TeamKey))),
        ["Studio:ApiKeys:1:MaxConcurrent"] = "4",
    };

    static ApiAccess Access(ApiKeyOptions keys, ApiOptions? api = null)
    {
        var apiOptions = Options.Create(api ?? new ApiOptions());
        return new ApiAccess(new ApiKeys(Options.Create(keys), apiOptions), apiOptions);
    }

    static ApiAccess WithoutKeys(bool allowRemote = false) => Access(new ApiKeyOptions(), new ApiOptions { AllowRemoteWithoutKey = allowRemote });

    public static TheoryData<string> LocalAddresses => ["127.0.0.1", "127.4.5.6", "::1", "::ffff:127.0.0.1"];
    public static TheoryData<string> RemoteAddresses => ["10.0.0.5", "192.168.1.20", "172.17.0.1", "2001:db8::7", "::ffff:10.0.0.5", "0.0.0.0"];

    [Theory]
    [MemberData(nameof(LocalAddresses))]
    public void Without_keys_clients_on_this_machine_are_admitted_each_in_its_own_partition(string address)
    {
        var admitted = Assert.IsType<ApiAdmission.Admitted>(WithoutKeys().Admit(null, IPAddress.Parse(address)));
        Assert.Equal("address:" + IPAddress.Parse(address).MapToIPv4IfMapped(), admitted.Caller.Partition);
        Assert.Equal((8, 16), (admitted.Caller.MaxConcurrent, admitted.Caller.MaxQueued));
    }

    [Theory]
    [MemberData(nameof(RemoteAddresses))]
    public void Without_keys_a_remote_client_is_refused_with_403_saying_to_configure_keys(string address)
    {
        var refused = Assert.IsType<ApiAdmission.Refused>(WithoutKeys().Admit(null, IPAddress.Parse(address)));
        Assert.Equal(403, refused.Status);
        Assert.Contains("Studio:ApiKeys", refused.Message);
        Assert.Contains("Studio:Api:AllowRemoteWithoutKey", refused.Message);
        Assert.Contains(IPAddress.Parse(address).MapToIPv4IfMapped().ToString(), refused.Message);
        // A key sent to a server without keys changes nothing.
        Assert.IsType<ApiAdmission.Refused>(WithoutKeys().Admit("sk-anything", IPAddress.Parse(address)));
    }

    [Theory]
    [MemberData(nameof(RemoteAddresses))]
    public void Without_keys_AllowRemoteWithoutKey_admits_remote_clients(string address) =>
        Assert.IsType<ApiAdmission.Admitted>(WithoutKeys(allowRemote: true).Admit(null, IPAddress.Parse(address)));

    [Fact]
    public void A_client_without_an_IP_address_is_on_this_machine() =>
        Assert.IsType<ApiAdmission.Admitted>(WithoutKeys().Admit(null, null));   // a Unix domain socket

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.0.0.5")]
    public void With_keys_every_client_needs_one_and_a_wrong_or_missing_key_gets_401(string address)
    {
        var access = Access(KeysFrom(BothShapes));
        foreach (var key in new[] { null, "", "sk-wrong", PlainKey + " ", PlainKey.ToUpperInvariant() })
        {
            var refused = Assert.IsType<ApiAdmission.Refused>(access.Admit(key, IPAddress.Parse(address)));
            Assert.Equal((401, "invalid_api_key"), (refused.Status, refused.Code));
            Assert.Contains("Studio:ApiKeys", refused.Message);
        }
    }

    [Fact]
    public void With_keys_a_valid_key_is_admitted_from_anywhere_under_its_name_and_limits()
    {
        var access = Access(KeysFrom(BothShapes), new ApiOptions { MaxConcurrent = 2, MaxQueued = 3 });
        var plain = Assert.IsType<ApiAdmission.Admitted>(access.Admit(PlainKey, IPAddress.Parse("203.0.113.9"))).Caller;
        Assert.Equal(new ApiCaller("key 0", "key:key 0", 2, 3), plain);
        var team = Assert.IsType<ApiAdmission.Admitted>(access.Admit(TeamKey, IPAddress.Loopback)).Caller;
        Assert.Equal(new ApiCaller("team-a", "key:team-a", 4, 3), team);
    }

    [Fact]
    public void Keys_are_kept_as_hashes_only()
    {
        var keys = new ApiKeys(Options.Create(KeysFrom(BothShapes)), Options.Create(new ApiOptions()));
        var fields = typeof(ApiKeys).GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic);
        var held = fields.Select(f => f.GetValue(keys)).OfType<IEnumerable<ApiKey>>().Single().ToList();
        Assert.Equal(2, held.Count);
        Assert.All(held, key => Assert.Equal(32, key.Hash.Length));
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(PlainKey)), held[0].Hash);
        Assert.DoesNotContain(typeof(ApiKey).GetProperties(), p => p.PropertyType == typeof(string) && p.Name != nameof(ApiKey.Name));
    }

    [Fact]
    public void The_dashboard_is_local_without_keys_and_needs_a_key_with_them()
    {
        var remote = IPAddress.Parse("10.0.0.5");
        Assert.True(WithoutKeys().AllowsDashboard(null, IPAddress.Loopback));
        Assert.False(WithoutKeys().AllowsDashboard(null, remote));
        Assert.False(WithoutKeys(allowRemote: true).AllowsDashboard(null, remote));

        var access = Access(KeysFrom(BothShapes));
        Assert.True(access.AllowsDashboard(TeamKey, remote));
        Assert.False(access.AllowsDashboard("sk-wrong", remote));
        Assert.False(access.AllowsDashboard(null, IPAddress.Loopback));   // a local reverse proxy makes everyone local
    }

    [Fact]
    public void Malformed_entries_are_refused_at_startup_naming_the_entry()
    {
        var result = new ApiKeyOptionsValidation().Validate(null, KeysFrom(new()
        {
            ["Studio:ApiKeys:0"] = "sha256:abc",
            ["Studio:ApiKeys:1:Name"] = "team",
            ["Studio:ApiKeys:1:Key"] = "sk-1",
            ["Studio:ApiKeys:2:Name"] = "team",
            ["Studio:ApiKeys:2:Key"] = "sk-2",
            ["Studio:ApiKeys:2:MaxConcurrent"] = "0",
            ["Studio:ApiKeys:3:Name"] = "empty",
        }));
        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains("Studio:ApiKeys:0: a hashed key is 'sha256:' followed by 64 hex digits (e.g. the output of `printf %s KEY | sha256sum`)", failures);
        Assert.Contains("Studio:ApiKeys:2: MaxConcurrent must be at least 1; got 0", failures);
        Assert.Contains("Studio:ApiKeys:1 and Studio:ApiKeys:2 share the name 'team'; each key needs its own name", failures);
        Assert.Contains("Studio:ApiKeys:3: the key is empty", failures);
        Assert.True(new ApiKeyOptionsValidation().Validate(null, KeysFrom(BothShapes)).Succeeded);
    }

    [Fact]
    public void A_single_value_instead_of_a_list_is_refused_rather_than_read_as_no_keys()
    {
        var error = Assert.Throws<InvalidOperationException>(() => KeysFrom(new() { ["Studio:ApiKeys"] = "sk-oops" }));
        Assert.Equal("Studio:ApiKeys is a list: set each key as Studio:ApiKeys:0, Studio:ApiKeys:1, … (in the environment: Studio__ApiKeys__0)", error.Message);
    }

    [Fact]
    public void The_startup_report_says_who_the_API_answers()
    {
        Assert.Equal("keys required (2 configured)", Access(KeysFrom(BothShapes)).Summary);
        Assert.StartsWith("no keys configured — answering local clients only (set Studio:ApiKeys", WithoutKeys().Summary);
        Assert.StartsWith("no keys configured — answering every client", WithoutKeys(allowRemote: true).Summary);
    }
}

static class AddressExtensions
{
    public static IPAddress MapToIPv4IfMapped(this IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
