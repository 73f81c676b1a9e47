using StyleStudio.Data.Storage;
using StyleStudio.Models.Local;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Models;

/// <summary>What in the studio uses a model: queued and running training runs, and the model being served.</summary>
public sealed class StudioModelUsers(DataStore store, ServedModel served) : IModelUsers
{
    public IReadOnlyList<string> UsersOf(string modelName)
    {
        var users = store.Runs.ActiveOn(modelName)
            .Select(r => $"run {r.Id} '{r.Name}' is {r.Status.ToString().ToLowerInvariant()}")
            .ToList();
        if (served.Current?.Name == modelName) users.Add("it is the served model (playground and API)");
        return users;
    }
}
