using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

[Collection(StudioServer.Collection)]
public class HomePageTests
{
    [Fact]
    public async Task Home_page_shows_the_compute_device_and_supported_architectures()
    {
        await using var studio = new StudioServer();
        using var client = new HttpClient { BaseAddress = studio.Address };
        var html = await client.GetStringAsync("/", TestContext.Current.CancellationToken);
        Assert.Contains("StyleStudio", html);
        Assert.Contains("Qwen2ForCausalLM, Qwen3ForCausalLM, LlamaForCausalLM, MistralForCausalLM", html);
        Assert.Matches("id=\"compute-device\"[^>]*>(cpu|cuda) \\(", html);
    }
}
