using StyleStudio.Models.Local;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Models;

public sealed class LocalModelsTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("local-models-").FullName;

    string ModelsFolder => Path.Combine(root, "models");

    string CopyFixture(string fixture, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(Fixtures.Model(fixture))) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        return to;
    }

    sealed class Users(params string[] users) : IModelUsers
    {
        public IReadOnlyList<string> UsersOf(string modelName) => users;
    }

    [Theory]
    [InlineData("qwen2", "Qwen2ForCausalLM", "qwen")]
    [InlineData("qwen3", "Qwen3ForCausalLM", "qwen3")]
    [InlineData("llama3", "LlamaForCausalLM", "llama3")]
    [InlineData("mistral", "MistralForCausalLM", "mistral")]
    [InlineData("qwen2-bf16-sharded", "Qwen2ForCausalLM", "qwen")]
    [InlineData("glm", "GlmForCausalLM", "glm4")]
    [InlineData("glm4", "Glm4ForCausalLM", "glm4")]
    public void Details_come_from_config_and_safetensors_headers(string fixture, string architecture, string template)
    {
        var model = ModelInspector.Inspect(fixture, Fixtures.Model(fixture), ModelOrigin.Folder);

        Assert.Null(model.Error);
        var details = model.Details!;
        Assert.Equal(architecture, details.Architecture);
        Assert.Equal(template, details.SuggestedTemplate);
        Assert.Equal(StyleStudio.Training.Models.ModelConfig.Load(Fixtures.Model(fixture)).MaxPositionEmbeddings, details.ContextLength);
        Assert.Equal(fixture.Contains("bf16") ? "bfloat16" : "float32", details.DType);
        Assert.True(details.Parameters > 0);
        Assert.Equal(Directory.EnumerateFiles(Fixtures.Model(fixture)).Sum(f => new FileInfo(f).Length), model.BytesOnDisk);
    }

    [Fact]
    public void A_broken_folder_is_listed_with_the_file_at_fault()
    {
        string folder = CopyFixture("qwen2", Path.Combine(ModelsFolder, "no-tokenizer"));
        File.Delete(Path.Combine(folder, "tokenizer.json"));
        CopyFixture("qwen2", Path.Combine(ModelsFolder, "good"));
        Directory.CreateDirectory(Path.Combine(ModelsFolder, ".downloads", "half"));

        var models = new LocalModels(ModelsFolder).List();

        Assert.Equal(["good", "no-tokenizer"], models.Select(m => m.Name));
        Assert.True(models[0].Loads);
        Assert.Contains("tokenizer.json", models[1].Error);
    }

    [Fact]
    public void A_registered_folder_is_listed_in_place_and_removing_it_only_forgets_it()
    {
        string elsewhere = CopyFixture("qwen3", Path.Combine(root, "elsewhere", "my-qwen3"));
        var library = new LocalModels(ModelsFolder);

        library.Register(elsewhere);

        var model = Assert.Single(library.List());
        Assert.Equal(("my-qwen3", elsewhere, ModelOrigin.Registered), (model.Name, model.Path, model.Origin));
        Assert.Equal(elsewhere, new LocalModels(ModelsFolder).PathOf("my-qwen3"));
        Assert.Throws<ArgumentException>(() => library.Register(elsewhere));   // the name is taken

        Assert.Equal(ModelOrigin.Registered, library.Remove("my-qwen3"));
        Assert.Empty(library.List());
        Assert.True(File.Exists(Path.Combine(elsewhere, "model.safetensors")), "the registered folder stays on disk");
    }

    [Fact]
    public void A_folder_that_does_not_load_cannot_be_registered()
    {
        string folder = CopyFixture("qwen2", Path.Combine(root, "broken"));
        File.WriteAllText(Path.Combine(folder, "config.json"), "{ not json");

        var error = Assert.Throws<ArgumentException>(() => new LocalModels(ModelsFolder).Register(folder));

        Assert.Contains("config.json", error.Message);
    }

    [Fact]
    public void Removing_a_model_in_use_is_refused_and_otherwise_deletes_its_folder()
    {
        CopyFixture("qwen2", Path.Combine(ModelsFolder, "tiny"));
        var library = new LocalModels(ModelsFolder);

        var refused = Assert.Throws<InvalidOperationException>(() => library.Remove("tiny", new Users("run 3 'casual' is running")));
        Assert.Contains("run 3", refused.Message);
        Assert.True(Directory.Exists(Path.Combine(ModelsFolder, "tiny")));

        Assert.Equal(ModelOrigin.Folder, library.Remove("tiny", new Users()));
        Assert.Empty(Directory.EnumerateFileSystemEntries(ModelsFolder));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
