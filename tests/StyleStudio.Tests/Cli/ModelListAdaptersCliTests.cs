using System.Text.Json;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Cli;

/// <summary><c>stylestudio model list</c> on a models folder holding PEFT adapters (see <see cref="AdapterModelsFolder"/>).</summary>
public sealed class ModelListAdaptersCliTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("model-list-adapters-").FullName;

    string ModelsFolder => Path.Combine(root, "models");

    public ModelListAdaptersCliTests() => AdapterModelsFolder.Create(ModelsFolder);

    [Fact]
    public void Json_lists_adapters_with_their_fields_and_each_model_names_its_own()
    {
        var run = CliRunner.Run("model", "list", "--models", ModelsFolder, "--json");

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        var model = Assert.Single(json.RootElement.GetProperty("models").EnumerateArray());
        Assert.Equal("qwen2", model.GetProperty("name").GetString());
        Assert.Equal(["qwen2:dora-r4", "qwen2:lora-r4", "qwen2:lora-r8"], model.GetProperty("adapters").EnumerateArray().Select(a => a.GetString()));

        var adapters = json.RootElement.GetProperty("adapters").EnumerateArray().ToDictionary(a => a.GetProperty("id").GetString()!);
        Assert.Equal(["?:broken", "qwen2:dora-r4", "qwen2:lora-r4", "qwen2:lora-r8", "Qwen2.5-0.5B-Instruct:orphan"], adapters.Keys);
        var dora = adapters["qwen2:dora-r4"];
        Assert.Equal(("dora-r4", "qwen2", "Qwen/qwen2", "dora", 4, 8.0, true, true),
            (dora.GetProperty("name").GetString(), dora.GetProperty("base").GetString(), dora.GetProperty("base_model_name_or_path").GetString(),
             dora.GetProperty("kind").GetString(), dora.GetProperty("rank").GetInt32(), dora.GetProperty("alpha").GetDouble(),
             dora.GetProperty("use_dora").GetBoolean(), dora.GetProperty("loads").GetBoolean()));
        Assert.Equal(Path.Combine(ModelsFolder, "dora-r4"), dora.GetProperty("path").GetString());
        Assert.Equal(7, dora.GetProperty("target_modules").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, dora.GetProperty("problem").ValueKind);
        Assert.Equal(("lora", 8), (adapters["qwen2:lora-r8"].GetProperty("kind").GetString(), adapters["qwen2:lora-r8"].GetProperty("rank").GetInt32()));

        Assert.False(adapters["?:broken"].GetProperty("loads").GetBoolean());
        Assert.Contains("adapter_config.json: not valid JSON", adapters["?:broken"].GetProperty("problem").GetString());
        Assert.Contains("needs the base model 'Qwen2.5-0.5B-Instruct'", adapters["Qwen2.5-0.5B-Instruct:orphan"].GetProperty("problem").GetString());
    }

    [Fact]
    public void Text_lists_adapters_under_their_base_and_the_others_after()
    {
        var run = CliRunner.Run("model", "list", "--models", ModelsFolder);

        Assert.True(run.ExitCode == 0, run.Stderr);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("qwen2 ", lines[0]);
        Assert.Matches(@"^  adapter qwen2:dora-r4 +DoRA rank 4 alpha 8 on ", lines[1]);
        Assert.Matches(@"^  adapter qwen2:lora-r4 +LoRA rank 4 alpha 8 on ", lines[2]);
        Assert.Matches(@"^  adapter qwen2:lora-r8 +LoRA rank 8 alpha 16 on ", lines[3]);
        Assert.Equal("adapters without a local base model:", lines[4]);
        Assert.Matches(@"^  adapter \?:broken +does not load: .*adapter_config.json: not valid JSON", lines[5]);
        Assert.Matches(@"^  adapter Qwen2.5-0.5B-Instruct:orphan +does not load: needs the base model", lines[6]);
        Assert.Equal(7, lines.Length);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
