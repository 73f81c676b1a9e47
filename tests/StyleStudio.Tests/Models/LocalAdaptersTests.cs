using System.Text.Json.Nodes;
using StyleStudio.Models.Local;
using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Runtime;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Models;

/// <summary>PEFT adapter folders in the models folder: found, attached to their base by name, never listed as models.</summary>
public sealed class LocalAdaptersTests : IDisposable
{
    readonly string modelsFolder = Path.Combine(Directory.CreateTempSubdirectory("local-adapters-").FullName, "models");

    public LocalAdaptersTests() => AdapterModelsFolder.Create(modelsFolder);

    Dictionary<string, LocalAdapter> Adapters() => new LocalModels(modelsFolder).Adapters().ToDictionary(a => a.Id);

    [Fact]
    public void Adapter_folders_are_listed_by_base_and_folder_and_not_as_models()
    {
        var library = new LocalModels(modelsFolder);

        Assert.Equal(["qwen2"], library.List().Select(m => m.Name));
        Assert.Equal(["?:broken", "qwen2:dora-r4", "qwen2:lora-r4", "qwen2:lora-r8", "Qwen2.5-0.5B-Instruct:orphan"],
            library.Adapters().Select(a => a.Id));
    }

    [Theory]
    [InlineData("lora-r4", 4, 8.0, false)]
    [InlineData("lora-r8", 8, 16.0, false)]
    [InlineData("dora-r4", 4, 8.0, true)]
    public void A_PEFT_adapter_reads_with_its_rank_alpha_kind_and_targets(string folder, int rank, double alpha, bool dora)
    {
        var adapter = Adapters()[$"qwen2:{folder}"];

        Assert.Null(adapter.Problem);
        Assert.Equal((folder, "qwen2", "Qwen/qwen2", Path.Combine(modelsFolder, folder)),
            (adapter.Name, adapter.BaseName, adapter.BaseModelNameOrPath, adapter.Path));
        Assert.Equal((rank, alpha, dora, dora ? "DoRA" : "LoRA"), (adapter.Rank, adapter.Alpha, adapter.UseDora, adapter.Kind));
        Assert.Equal(LoraTargets.Of(Fixtures.Model("qwen2")).Select(t => t.Name).Order(), adapter.TargetModules.Order());
    }

    [Fact]
    public void An_adapter_listed_as_loading_does_load_onto_its_base()
    {
        foreach (var adapter in Adapters().Values.Where(a => a.Loads))
        {
            using var model = PretrainedModel.Load(new LocalModels(modelsFolder).PathOf(adapter.BaseName!)!,
                new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
            Assert.Equal(LoraTargets.Of(model.Config).Count * 2, PeftAdapter.Load(model.Network, adapter.Path).Count);
        }
    }

    [Fact]
    public void Unreadable_config_and_missing_base_are_problems_that_say_which_file_and_which_base()
    {
        var adapters = Adapters();

        var broken = adapters["?:broken"];
        Assert.Null(broken.BaseName);
        Assert.Null(broken.Rank);
        Assert.StartsWith(Path.Combine(modelsFolder, "broken", "adapter_config.json") + ": not valid JSON", broken.Problem);

        var orphan = adapters["Qwen2.5-0.5B-Instruct:orphan"];
        Assert.Equal(("Qwen2.5-0.5B-Instruct", 8), (orphan.BaseName, orphan.Rank));
        Assert.Contains("needs the base model 'Qwen2.5-0.5B-Instruct'", orphan.Problem);
        Assert.Contains($"\"{AdapterModelsFolder.OrphanBase}\"", orphan.Problem);
    }

    [Fact]
    public void A_field_of_the_wrong_type_or_a_missing_base_field_is_named()
    {
        EditConfig("lora-r4", config => config["r"] = "four");
        EditConfig("lora-r8", config => config.Remove("base_model_name_or_path"));

        var adapters = Adapters();

        var wrongType = adapters["qwen2:lora-r4"];
        Assert.Contains("adapter_config.json: r: unexpected value \"four\"", wrongType.Problem);
        Assert.Null(wrongType.Rank);
        Assert.Contains("adapter_config.json: base_model_name_or_path: missing", adapters["?:lora-r8"].Problem);
    }

    [Theory]
    [InlineData("/home/me/models/qwen2/")]
    [InlineData(@"C:\models\qwen2")]
    [InlineData("qwen/QWEN2")]
    public void The_base_is_the_last_part_of_a_path_or_hub_id_in_any_case(string baseModel)
    {
        EditConfig("lora-r4", config => config["base_model_name_or_path"] = baseModel);

        var adapter = Adapters()["qwen2:lora-r4"];

        Assert.Equal(("qwen2", baseModel), (adapter.BaseName, adapter.BaseModelNameOrPath));
        Assert.Null(adapter.Problem);
    }

    [Fact]
    public void A_registered_base_counts_and_a_folder_with_config_json_stays_a_model()
    {
        string elsewhere = Path.Combine(Path.GetDirectoryName(modelsFolder)!, "elsewhere", "Qwen2.5-0.5B-Instruct");
        AdapterModelsFolder.CopyFiles(Fixtures.Model("qwen2"), elsewhere);
        var library = new LocalModels(modelsFolder);
        library.Register(elsewhere);
        File.Copy(Path.Combine(Fixtures.Model("qwen2"), "config.json"), Path.Combine(modelsFolder, "dora-r4", "config.json"));

        Assert.Null(Adapters()["Qwen2.5-0.5B-Instruct:orphan"].Problem);
        Assert.DoesNotContain("qwen2:dora-r4", Adapters().Keys);
        Assert.Contains("dora-r4", library.List().Select(m => m.Name));
    }

    void EditConfig(string adapter, Action<JsonObject> edit)
    {
        string path = Path.Combine(modelsFolder, adapter, "adapter_config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(config);
        File.WriteAllText(path, config.ToJsonString());
    }

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(modelsFolder)!, recursive: true);
}
