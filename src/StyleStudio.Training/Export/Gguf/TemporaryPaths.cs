namespace StyleStudio.Training.Export.Gguf;

/// <summary>
/// Hidden working names beside the output (same folder, so the final move is a rename, not a copy), all removed by
/// <see cref="Delete"/> whatever happened.
/// </summary>
sealed class TemporaryPaths(string folder, string outputName)
{
    readonly string stem = $".{outputName}.{Guid.NewGuid():N}";
    readonly List<string> paths = [];

    public string File(string purpose) => Add(Path.Combine(folder, $"{stem}.{purpose}.tmp"));

    public string Folder(string purpose) => Add(Path.Combine(folder, $"{stem}.{purpose}"));

    string Add(string path)
    {
        paths.Add(path);
        return path;
    }

    public void Delete()
    {
        foreach (string path in paths)
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else if (System.IO.File.Exists(path)) System.IO.File.Delete(path);
        }
    }
}
