using StyleStudio.Training.Trainer;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace StyleStudio.Application.Runs;

/// <summary>
/// Run settings as LLaMA-Factory's YAML run files write them (model_name_or_path, lora_rank, learning_rate, …): what
/// <c>stylestudio train --config</c> reads, and what a studio run's settings download is — so a run started in the
/// studio can be trained again from the command line, or in LLaMA-Factory, with the same settings.
/// </summary>
public static class RunSettingsYaml
{
    static readonly IDeserializer Reader = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance)
        .IgnoreUnmatchedProperties().Build();

    static readonly ISerializer Writer = new SerializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull).Build();

    /// <summary>The settings of a YAML run file; keys it does not know (LLaMA-Factory's others) are ignored.</summary>
    public static TrainConfig Read(string yaml) => Reader.Deserialize<TrainConfig>(yaml) ?? new TrainConfig();

    /// <summary>Every setting under its LLaMA-Factory key, after <paramref name="comment"/> lines (# …) when given.</summary>
    public static string Write(TrainConfig settings, string? comment = null) =>
        (comment is null ? "" : string.Concat(comment.Split('\n').Select(line => $"# {line}\n"))) + Writer.Serialize(settings);
}
