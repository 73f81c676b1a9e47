using System.Text.Json;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Cli;

/// <summary><c>stylestudio model pull|list|rm</c> as a child process, against <see cref="LocalHub"/> through <c>HF_ENDPOINT</c>.</summary>
public sealed class ModelCliTests : IAsyncLifetime
{
    readonly LocalHub hub = new();
    readonly string root = Directory.CreateTempSubdirectory("model-cli-").FullName;

    string ModelsFolder => Path.Combine(root, "models");
    Dictionary<string, string?> Environment => new() { ["HF_ENDPOINT"] = hub.Endpoint.ToString(), ["HF_TOKEN"] = null, ["HUGGING_FACE_HUB_TOKEN"] = null };

    public ValueTask InitializeAsync()
    {
        hub.Add("acme/tiny-qwen", new(Fixtures.Model("qwen2")));
        hub.Add("acme/gated", new(Fixtures.Model("llama3"), Gated: true));
        return ValueTask.CompletedTask;
    }

    CliRunner.Result Model(params string[] arguments) => CliRunner.Run(Environment, ["model", .. arguments]);

    [Fact]
    public void Pull_json_lands_the_model_byte_for_byte_and_says_where()
    {
        var run = Model("pull", "acme/tiny-qwen", "--models", ModelsFolder, "--json");

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        string path = json.RootElement.GetProperty("path").GetString()!;
        Assert.Equal(Path.Combine(ModelsFolder, "tiny-qwen"), path);
        var files = json.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToList();
        Assert.Equal(["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"], files.Order(StringComparer.Ordinal));
        foreach (var file in files)
            Assert.True(File.ReadAllBytes(Path.Combine(Fixtures.Model("qwen2"), file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(path, file))), file);
        Assert.Equal(files.Sum(f => new FileInfo(Path.Combine(path, f)).Length), json.RootElement.GetProperty("bytes").GetInt64());
    }

    [Fact]
    public void A_pull_that_fails_midway_continues_with_a_range_request_when_run_again()
    {
        long size = new FileInfo(Path.Combine(Fixtures.Model("qwen2"), "model.safetensors")).Length;
        hub.DropAfter("acme/tiny-qwen", "model.safetensors", 30_000, times: 5);

        var first = Model("pull", "acme/tiny-qwen", "--models", ModelsFolder, "--json");
        Assert.Equal(1, first.ExitCode);
        Assert.Contains("run the pull again", first.Stderr);
        Assert.False(Directory.Exists(Path.Combine(ModelsFolder, "tiny-qwen")));

        var second = Model("pull", "acme/tiny-qwen", "--models", ModelsFolder, "--json");
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Equal("bytes=150000-", hub.Requests.Last(r => r.Path.EndsWith("/model.safetensors") && r.Host == "localhost").Range);
        Assert.True(hub.Served("acme/tiny-qwen", "model.safetensors") < 2 * size);
        using var json = JsonDocument.Parse(second.Stdout);
        // The second run fetched the rest of the weights and the files after them; the configs came in the first.
        long after = new[] { "tokenizer.json", "tokenizer_config.json" }.Sum(f => new FileInfo(Path.Combine(Fixtures.Model("qwen2"), f)).Length);
        Assert.Equal(size - 150_000 + after, json.RootElement.GetProperty("bytes_written").GetInt64());
        Assert.True(File.ReadAllBytes(Path.Combine(Fixtures.Model("qwen2"), "model.safetensors")).AsSpan()
            .SequenceEqual(File.ReadAllBytes(Path.Combine(json.RootElement.GetProperty("path").GetString()!, "model.safetensors"))));
    }

    [Fact]
    public void Traversal_names_in_a_listing_write_nothing_outside_the_models_folder()
    {
        hub.Add("acme/evil", new(Fixtures.Model("qwen2"), ExtraNames: ["../evil.json", "/etc/x", "a/../../b", "../../escape.safetensors", "..\\x.safetensors"]));
        Directory.CreateDirectory(ModelsFolder);
        string Outside() => string.Join('\n', Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(ModelsFolder + Path.DirectorySeparatorChar)).Order(StringComparer.Ordinal));
        string before = Outside();

        var run = Model("pull", "acme/evil", "--models", ModelsFolder, "--json");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(before, Outside());
        Assert.Contains("skipped unsafe file name in the listing: ../evil.json", run.Stderr);
        Assert.Equal([Path.Combine(ModelsFolder, "evil")], Directory.EnumerateFileSystemEntries(ModelsFolder));
    }

    [Fact]
    public void ModelScope_is_reached_through_MODELSCOPE_DOMAIN()
    {
        var environment = new Dictionary<string, string?>(Environment)
        {
            ["MODELSCOPE_DOMAIN"] = $"127.0.0.1:{hub.Port}", ["MODELSCOPE_URL_SCHEME"] = "http://", ["MODELSCOPE_ENDPOINT"] = null,
        };

        var run = CliRunner.Run(environment, "model", "pull", "acme/tiny-qwen", "--source", "modelscope", "--models", ModelsFolder, "--json");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains(hub.Requests, r => r.Path.StartsWith("/api/v1/models/acme/tiny-qwen/repo/files"));
        Assert.True(File.ReadAllBytes(Path.Combine(Fixtures.Model("qwen2"), "model.safetensors")).AsSpan()
            .SequenceEqual(File.ReadAllBytes(Path.Combine(ModelsFolder, "tiny-qwen", "model.safetensors"))));
    }

    [Fact]
    public void Hub_refusals_come_out_as_clear_messages()
    {
        var gated = Model("pull", "acme/gated", "--models", ModelsFolder);
        Assert.Equal(1, gated.ExitCode);
        Assert.Contains("gated", gated.Stderr);

        var missing = Model("pull", "acme/absent", "--models", ModelsFolder);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("repository not found", missing.Stderr);

        var withToken = Model("pull", "acme/gated", "--models", ModelsFolder, "--token", hub.Token, "--json");
        Assert.True(withToken.ExitCode == 0, withToken.Stderr);
    }

    [Fact]
    public void List_shows_details_and_why_a_broken_folder_fails_and_rm_deletes()
    {
        Assert.Equal(0, Model("pull", "acme/tiny-qwen", "--models", ModelsFolder).ExitCode);
        string broken = Path.Combine(ModelsFolder, "broken");
        Directory.CreateDirectory(broken);
        foreach (var file in Directory.EnumerateFiles(Fixtures.Model("qwen2"))) File.Copy(file, Path.Combine(broken, Path.GetFileName(file)));
        using (var weights = File.OpenWrite(Path.Combine(broken, "model.safetensors"))) weights.SetLength(1000);

        var list = Model("list", "--models", ModelsFolder, "--json");
        Assert.True(list.ExitCode == 0, list.Stderr);
        using var json = JsonDocument.Parse(list.Stdout);
        var models = json.RootElement.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
        Assert.Equal(["broken", "tiny-qwen"], models.Keys.Order());
        var tiny = models["tiny-qwen"];
        Assert.True(tiny.GetProperty("loads").GetBoolean());
        Assert.Equal("Qwen2ForCausalLM", tiny.GetProperty("architecture").GetString());
        Assert.Equal("qwen", tiny.GetProperty("template").GetString());
        Assert.True(tiny.GetProperty("parameters").GetInt64() > 0);
        Assert.False(models["broken"].GetProperty("loads").GetBoolean());
        Assert.Contains("model.safetensors", models["broken"].GetProperty("error").GetString());

        var rm = CliRunner.Run(Environment, "model", "rm", "tiny-qwen", "--models", ModelsFolder, "--data", Path.Combine(root, "data"));
        Assert.True(rm.ExitCode == 0, rm.Stderr);
        Assert.False(Directory.Exists(Path.Combine(ModelsFolder, "tiny-qwen")));
        Assert.Equal(1, Model("rm", "tiny-qwen", "--models", ModelsFolder, "--data", Path.Combine(root, "data")).ExitCode);
    }

    public async ValueTask DisposeAsync()
    {
        await hub.DisposeAsync();
        Directory.Delete(root, recursive: true);
    }
}
