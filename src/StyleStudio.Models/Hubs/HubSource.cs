namespace StyleStudio.Models.Hubs;

/// <summary>Where a model is downloaded from.</summary>
public enum HubSource
{
    /// <summary>The Hugging Face Hub, or a mirror of it (<c>HF_ENDPOINT</c>).</summary>
    HuggingFace,

    /// <summary>ModelScope (modelscope.cn), the usual source in mainland China.</summary>
    ModelScope,
}
