using StyleStudio.Data.Storage;
using StyleStudio.Models.Local;
using StyleStudio.Serving;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Models;

/// <summary>What in the studio uses a model: queued and running training runs, and requests it is serving.</summary>
public sealed class StudioModelUsers(DataStore store, ModelHost host, ModelCatalog catalog) : IModelUsers
{
    public IReadOnlyList<string> UsersOf(string modelName)
    {
        var users = store.Runs.ActiveOn(modelName)
            .Select(r => $"run {r.Id} '{r.Name}' is {r.Status.ToString().ToLowerInvariant()}")
            .ToList();
        // A loaded base serving nothing is unloaded so its folder can go; one answering requests is in use.
        if (catalog.Models().FirstOrDefault(m => m.Name == modelName) is { } entry && !host.Unload(entry.Path))
            users.Add("it is serving requests (playground, API or evaluation)");
        return users;
    }
}
