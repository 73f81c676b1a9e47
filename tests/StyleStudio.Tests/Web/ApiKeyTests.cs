using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>
/// API keys over real HTTP: with keys configured every /v1 request needs one (401 in OpenAI's shape with
/// <c>WWW-Authenticate: Bearer</c> otherwise), the studio's pages do not; without keys the API answers this machine. The
/// Hangfire dashboard is local without keys and needs a key with them.
/// </summary>
[Collection(StudioServer.Collection)]
public class ApiKeyTests
{
    const string Key = "sk-studio-test-4242";
    const string HashedKey = "sk-only-its-hash-is-configured";

    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static readonly Dictionary<string, string> Keys = new()
    {
        ["Studio:ApiKeys:0"] = Key,
        ["Studio:ApiKeys:1:Name"] = "hashed",
        ["Studio:ApiKeys:1:Key"] = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(HashedKey))),
    };

    static object Chat => new { model = "qwen2", messages = new[] { new { role = "user", content = "hi" } }, temperature = 0, max_tokens = 4 };

    static HttpRequestMessage Request(HttpMethod method, string path, string? authorization)
    {
        var request = new HttpRequestMessage(method, path);
        if (method == HttpMethod.Post) request.Content = JsonContent.Create(Chat);
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return request;
    }

    [Fact]
    public async Task With_keys_every_v1_request_needs_a_valid_bearer_key_and_the_studio_pages_do_not()
    {
        await using var studio = new StudioServer(settings: Keys);
        using var client = new HttpClient { BaseAddress = studio.Address };

        foreach (var (method, path) in new[] { (HttpMethod.Get, "/v1/models"), (HttpMethod.Post, "/v1/chat/completions"), (HttpMethod.Get, "/v1/no/such/route") })
            foreach (var authorization in new string?[] { null, "Bearer sk-wrong", $"Basic {Key}", "Bearer ", Key })
            {
                using var response = await client.SendAsync(Request(method, path, authorization), Cancel);
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
                var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("error");
                Assert.Equal(("invalid_request_error", "invalid_api_key"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
                Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
                Assert.Contains("Studio:ApiKeys", error.GetProperty("message").GetString());
                Assert.DoesNotContain(Key, error.GetProperty("message").GetString());
            }

        foreach (var key in new[] { Key, HashedKey })
        {
            using var models = await client.SendAsync(Request(HttpMethod.Get, "/v1/models", $"Bearer {key}"), Cancel);
            Assert.Equal(HttpStatusCode.OK, models.StatusCode);
            using var chat = await client.SendAsync(Request(HttpMethod.Post, "/v1/chat/completions", $"bearer {key}"), Cancel);
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        }

        // The studio itself is not behind the keys.
        using var home = await client.GetAsync("/", Cancel);
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Contains("StyleStudio", await home.Content.ReadAsStringAsync(Cancel));
    }

    [Fact]
    public async Task Without_keys_the_API_answers_this_machine()
    {
        await using var studio = new StudioServer();
        using var client = new HttpClient { BaseAddress = studio.Address };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/models", Cancel)).StatusCode);
        // A key sent anyway is ignored rather than refused.
        using var chat = await client.SendAsync(Request(HttpMethod.Post, "/v1/chat/completions", "Bearer sk-anything"), Cancel);
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
    }

    [Fact]
    public async Task The_job_dashboard_opens_locally_without_keys_and_needs_a_key_with_them()
    {
        await using (var studio = new StudioServer())
        {
            using var client = new HttpClient { BaseAddress = studio.Address };
            using var dashboard = await client.GetAsync("/hangfire", Cancel);
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
            Assert.Equal("text/html", dashboard.Content.Headers.ContentType?.MediaType);
            Assert.Contains("Hangfire Dashboard", await dashboard.Content.ReadAsStringAsync(Cancel));
        }

        await using (var studio = new StudioServer(settings: Keys))
        {
            using var client = new HttpClient { BaseAddress = studio.Address };
            foreach (var authorization in new string?[] { null, "Bearer sk-wrong" })
            {
                using var refused = await client.SendAsync(Request(HttpMethod.Get, "/hangfire", authorization), Cancel);
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
                Assert.Equal("Bearer", Assert.Single(refused.Headers.WwwAuthenticate).Scheme);
                Assert.Empty(await refused.Content.ReadAsStringAsync(Cancel));   // not the studio's "not found" page
            }
            using var dashboard = await client.SendAsync(Request(HttpMethod.Get, "/hangfire", $"Bearer {Key}"), Cancel);
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
            Assert.Contains("Hangfire Dashboard", await dashboard.Content.ReadAsStringAsync(Cancel));
        }
    }
}
