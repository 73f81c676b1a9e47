using Microsoft.AspNetCore.Mvc.Testing;

namespace StyleStudio.Tests.Web;

public class HomePageTests
{
    [Fact]
    public async Task Home_page_shows_the_compute_device_and_supported_architectures()
    {
        await using var factory = new WebApplicationFactory<Program>();
        using var client = factory.CreateClient();
        var html = await client.GetStringAsync("/", TestContext.Current.CancellationToken);
        Assert.Contains("StyleStudio", html);
        Assert.Contains("Qwen2ForCausalLM, Qwen3ForCausalLM, LlamaForCausalLM, MistralForCausalLM", html);
        Assert.Matches("id=\"compute-device\"[^>]*>(cpu|cuda) \\(", html);
    }
}
