using System.Text.Json.Nodes;

namespace StyleStudio.Tests.Support;

/// <summary>
/// A models folder with the fixture base <c>qwen2</c>, the three real PEFT adapters of Fixtures/serving (whose configs name
/// the base "Qwen/qwen2"), an adapter whose config is not JSON (<c>broken</c>) and one whose base is not here (<c>orphan</c>).
/// </summary>
static class AdapterModelsFolder
{
    public static readonly string[] ServingAdapters = ["lora-r4", "lora-r8", "dora-r4"];
    public const string OrphanBase = "Qwen/Qwen2.5-0.5B-Instruct";

    public static string Serving(string adapter) => Path.Combine(Fixtures.Root, "serving", adapter);

    public static void Create(string modelsFolder)
    {
        CopyFiles(Fixtures.Model("qwen2"), Path.Combine(modelsFolder, "qwen2"));
        foreach (var adapter in ServingAdapters) CopyFiles(Serving(adapter), Path.Combine(modelsFolder, adapter));

        string broken = CopyFiles(Serving("lora-r4"), Path.Combine(modelsFolder, "broken"));
        File.WriteAllText(Path.Combine(broken, "adapter_config.json"), "{ \"peft_type\": \"LORA\", ");

        string orphan = CopyFiles(Serving("lora-r8"), Path.Combine(modelsFolder, "orphan"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(orphan, "adapter_config.json")))!.AsObject();
        config["base_model_name_or_path"] = OrphanBase;
        File.WriteAllText(Path.Combine(orphan, "adapter_config.json"), config.ToJsonString());
    }

    public static string CopyFiles(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        return to;
    }
}
