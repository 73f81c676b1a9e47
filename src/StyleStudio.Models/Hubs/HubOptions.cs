namespace StyleStudio.Models.Hubs;

/// <summary>Where the hubs are and how to authenticate to them.</summary>
/// <param name="HuggingFaceEndpoint">The Hugging Face Hub or a mirror of it. Defaults to <c>$HF_ENDPOINT</c>, else https://huggingface.co.</param>
/// <param name="ModelScopeEndpoint">ModelScope's site. Defaults to <c>$MODELSCOPE_ENDPOINT</c>, else <c>$MODELSCOPE_URL_SCHEME</c> (https://) + <c>$MODELSCOPE_DOMAIN</c>, as the modelscope client builds it, else https://www.modelscope.cn.</param>
/// <param name="Token">Access token for gated or private repositories, sent only to the hub's own host. Defaults to <c>$HF_TOKEN</c> (Hugging Face) or <c>$MODELSCOPE_API_TOKEN</c> (ModelScope) when null.</param>
public sealed record HubOptions(string HuggingFaceEndpoint, string ModelScopeEndpoint, string? Token = null)
{
    public const string DefaultHuggingFace = "https://huggingface.co";
    public const string DefaultModelScope = "https://www.modelscope.cn";

    /// <summary>The endpoints as the Python clients find them: <c>HF_ENDPOINT</c>, <c>MODELSCOPE_DOMAIN</c>.</summary>
    public static HubOptions FromEnvironment() => new(DefaultHuggingFaceEndpoint(), DefaultModelScopeEndpoint());

    public static string DefaultHuggingFaceEndpoint() => NonEmpty("HF_ENDPOINT") ?? DefaultHuggingFace;

    public static string DefaultModelScopeEndpoint() => NonEmpty("MODELSCOPE_ENDPOINT")
        ?? (NonEmpty("MODELSCOPE_DOMAIN") is { } domain
            ? (domain.Contains("://") ? domain : (NonEmpty("MODELSCOPE_URL_SCHEME") ?? "https://") + domain)
            : DefaultModelScope);

    /// <summary>The token to use for <paramref name="source"/>: the given one, else the environment's.</summary>
    public string? TokenFor(HubSource source) => !string.IsNullOrWhiteSpace(Token) ? Token.Trim()
        : source == HubSource.HuggingFace ? NonEmpty("HF_TOKEN") ?? NonEmpty("HUGGING_FACE_HUB_TOKEN")
        : NonEmpty("MODELSCOPE_API_TOKEN");

    public Uri EndpointFor(HubSource source) =>
        new((source == HubSource.HuggingFace ? HuggingFaceEndpoint : ModelScopeEndpoint).TrimEnd('/') + "/");

    static string? NonEmpty(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;
}
