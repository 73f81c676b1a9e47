namespace StyleStudio.Models.Local;

/// <summary>Who is using a model right now (queued or running training runs, the served model), so it is not deleted under them.</summary>
public interface IModelUsers
{
    /// <summary>A short description of each current user of <paramref name="modelName"/>; empty when none.</summary>
    IReadOnlyList<string> UsersOf(string modelName);
}
