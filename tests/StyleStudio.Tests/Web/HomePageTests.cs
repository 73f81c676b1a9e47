using Microsoft.Extensions.DependencyInjection;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

[Collection(StudioServer.Collection)]
public class HomePageTests
{
    [Fact]
    public async Task Home_page_shows_what_the_studio_holds_the_compute_device_and_supported_architectures()
    {
        await using var studio = new StudioServer();
        studio.Services.GetRequiredService<DataStore>().Create("pairs",
            [new DatasetRow { Instruction = "a", Output = "b" }, new DatasetRow { Instruction = "c", Output = "d" }], "test");
        using var client = new HttpClient { BaseAddress = studio.Address };
        var html = await client.GetStringAsync("/", TestContext.Current.CancellationToken);
        Assert.Contains("StyleStudio", html);
        Assert.Contains("Qwen2ForCausalLM, Qwen3ForCausalLM, LlamaForCausalLM, MistralForCausalLM", html);
        Assert.Matches("id=\"compute-device\"[^>]*><span translate=\"no\">(cpu|cuda) \\(", html);
        Assert.Contains("1 dataset(s), 2 rows", html);
        Assert.Contains("0 running, 0 queued, 0 finished", html);
    }
}
