namespace StyleStudio.Models.Local;

/// <summary>
/// A PEFT adapter folder in the models folder (trained here, with PEFT or LLaMA-Factory), attached by name to the local
/// base model it was trained on: the one whose name is the last part of its <c>base_model_name_or_path</c>.
/// </summary>
/// <param name="Id"><c>BASE:FOLDER</c>, e.g. <c>qwen2:lora-r4</c>; BASE is "?" when the config names no base.</param>
/// <param name="Name">The adapter's folder name.</param>
/// <param name="BaseName">The base model it attaches to (the local model's name when one matches); null when unknown.</param>
/// <param name="BaseModelNameOrPath">base_model_name_or_path as the config gives it, e.g. Qwen/Qwen2.5-0.5B-Instruct.</param>
/// <param name="Rank">LoRA rank r; null when the config does not read.</param>
/// <param name="Alpha">lora_alpha; null when the config does not read.</param>
/// <param name="TargetModules">The adapted projections, as the config names them.</param>
/// <param name="Problem">Why it cannot be used (naming the file and field, or the base it wants); null when it can.</param>
public sealed record LocalAdapter(string Id, string Name, string? BaseName, string Path, string? BaseModelNameOrPath, int? Rank,
    double? Alpha, bool UseDora, IReadOnlyList<string> TargetModules, string? Problem)
{
    public bool Loads => Problem is null;

    /// <summary>LoRA or DoRA.</summary>
    public string Kind => UseDora ? "DoRA" : "LoRA";
}
