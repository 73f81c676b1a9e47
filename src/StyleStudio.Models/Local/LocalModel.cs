namespace StyleStudio.Models.Local;

/// <summary>How a model came to be in the list: a folder in the models folder (downloaded or copied there), or a folder
/// elsewhere registered by path (never copied, never deleted by StyleStudio).</summary>
public enum ModelOrigin { Folder, Registered }

/// <summary>What inspecting a model folder found, without loading its weights.</summary>
/// <param name="Parameters">Elements of every tensor in the safetensors headers.</param>
/// <param name="DType">The weights' dtype (the one holding most bytes), e.g. bfloat16.</param>
/// <param name="ContextLength">max_position_embeddings from config.json.</param>
/// <param name="SuggestedTemplate">The prompt template the model was trained with, by architecture.</param>
public sealed record ModelDetails(string Architecture, long Parameters, string DType, int ContextLength, string SuggestedTemplate);

/// <summary>A local model: its name, folder, origin, size on disk, and either its details or why it does not load.</summary>
/// <param name="Error">Why the folder does not load, naming the file at fault; null when it loads.</param>
public sealed record LocalModel(string Name, string Path, ModelOrigin Origin, long BytesOnDisk, ModelDetails? Details, string? Error)
{
    public bool Loads => Error is null;
}
