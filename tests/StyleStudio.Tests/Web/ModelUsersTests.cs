using Microsoft.Extensions.DependencyInjection;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Models.Local;
using StyleStudio.Serving;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Trainer;
using StyleStudio.Web.Services;

namespace StyleStudio.Tests.Web;

/// <summary>The studio refuses to delete a model that a queued or running run, or the served model, uses.</summary>
[Collection(StudioServer.Collection)]
public sealed class ModelUsersTests : IDisposable
{
    readonly string modelsFolder = Directory.CreateTempSubdirectory("studio-users-").FullName;

    void Copy(string fixture, string name)
    {
        string to = Directory.CreateDirectory(Path.Combine(modelsFolder, name)).FullName;
        foreach (var file in Directory.EnumerateFiles(Fixtures.Model(fixture))) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    [Fact]
    public async Task A_model_used_by_a_queued_run_or_served_cannot_be_deleted_until_it_is_free()
    {
        Copy("qwen2", "trained");
        Copy("qwen2", "served");
        await using var studio = new StudioServer(modelsFolder: modelsFolder);
        var store = studio.Services.GetRequiredService<DataStore>();
        var library = studio.Services.GetRequiredService<LocalModels>();
        var users = studio.Services.GetRequiredService<IModelUsers>();
        var dataset = store.Create("pairs", [new DatasetRow { Instruction = "a", Output = "b" }], "test");
        var run = store.Runs.Create("casual", dataset, "trained", new RunRequest());
        // A request in flight on "served" holds it loaded.
        var service = studio.Services.GetRequiredService<GenerationService>();
        var serving = await service.PrepareAsync(new GenerationRequest { Model = "served", Prompt = "hello" }, TestContext.Current.CancellationToken);

        var byRun = Assert.Throws<InvalidOperationException>(() => library.Remove("trained", users));
        Assert.Contains("run", byRun.Message);
        Assert.Contains("casual", byRun.Message);
        var byServing = Assert.Throws<InvalidOperationException>(() => library.Remove("served", users));
        Assert.Contains("serving requests", byServing.Message);

        store.Runs.MarkFinished(run.Id, RunStatus.Completed, "done");
        library.Remove("trained", users);
        Assert.False(Directory.Exists(Path.Combine(modelsFolder, "trained")));
        // Once it serves nothing, the loaded base is unloaded and its folder can go.
        serving.Dispose();
        library.Remove("served", users);
        Assert.False(Directory.Exists(Path.Combine(modelsFolder, "served")));
    }

    public void Dispose() => Directory.Delete(modelsFolder, recursive: true);
}
