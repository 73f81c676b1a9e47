using StyleStudio.Data.Storage;
using StyleStudio.Application.Cluster;
using StyleStudio.Models.Hubs;

namespace StyleStudio.Application;

/// <summary>The studio's settings, bound from the <c>Studio</c> section of configuration (appsettings.json,
/// environment variables such as <c>Studio__ModelsFolder</c>, or command-line arguments).</summary>
public sealed class StudioOptions
{
    public const string Section = "Studio";

    /// <summary>
    /// <see cref="StudioMode.Embedded"/> (the default: one process, LiteDB and Hangfire on SQLite in the data folder) or
    /// <see cref="StudioMode.Cluster"/> (studio data and jobs in PostgreSQL, events over Redis, GPU workers train; see
    /// <see cref="Cluster"/>). Setting <c>Studio:Cluster:Postgres</c> alone also means cluster.
    /// </summary>
    public StudioMode Mode { get; set; }

    /// <summary>Where a cluster keeps its data and carries its events: <c>Studio:Cluster:*</c>.</summary>
    public ClusterOptions Cluster { get; set; } = new();

    /// <summary>True when this process is one of several sharing PostgreSQL and Redis.</summary>
    public bool Clustered => Mode == StudioMode.Cluster || !string.IsNullOrWhiteSpace(Cluster.Postgres);

    /// <summary>Datasets, uploads and runs. Defaults to <see cref="DataStore.DefaultFolder"/>, which the CLI shares.</summary>
    public string DataFolder { get; set; } = DataStore.DefaultFolder;

    /// <summary>A folder of Hugging Face model folders (each with config.json), offered wherever a model or tokenizer is
    /// chosen. Defaults to <c>models</c> in the data folder.</summary>
    public string? ModelsFolder { get; set; }

    /// <summary>
    /// Attempts a run gets: a run whose job failed, or during which the studio died, is tried again until it has been
    /// attempted this many times, then marked Failed with the last error (startup recovery included). Defaults to 3.
    /// </summary>
    public int MaxRunAttempts { get; set; } = 3;

    public string ResolvedModelsFolder => ModelsFolder ?? Path.Combine(DataFolder, "models");

    /// <summary>The Hugging Face Hub, or a mirror such as https://hf-mirror.com, for downloads. Defaults to <c>$HF_ENDPOINT</c>,
    /// else https://huggingface.co.</summary>
    public string HuggingFaceEndpoint { get; set; } = HubOptions.DefaultHuggingFaceEndpoint();

    /// <summary>ModelScope, for downloads. Defaults to <c>$MODELSCOPE_ENDPOINT</c>, else https:// + <c>$MODELSCOPE_DOMAIN</c>, else
    /// https://www.modelscope.cn.</summary>
    public string ModelScopeEndpoint { get; set; } = HubOptions.DefaultModelScopeEndpoint();

    /// <summary>Access token for gated repositories when the download form gives none. Defaults to <c>$HF_TOKEN</c> (Hugging
    /// Face) or <c>$MODELSCOPE_API_TOKEN</c> (ModelScope).</summary>
    public string? HubToken { get; set; }

    public HubOptions Hubs => new(HuggingFaceEndpoint, ModelScopeEndpoint, HubToken);
}
