namespace StyleStudio.Models.Hubs;

/// <summary>Why a hub refused a request, told apart by its <c>X-Error-Code</c> header (or ModelScope's body).</summary>
public enum HubError { RepositoryNotFound, Gated, RevisionNotFound, EntryNotFound, Unauthorized, Unavailable, Invalid }

/// <summary>A hub answered with an error; the message says what to do about it.</summary>
public sealed class HubException(HubError error, string message, int? status = null, string? code = null) : Exception(message)
{
    /// <summary>The hub's <c>X-Error-Code</c>, when it sent one.</summary>
    public string? Code { get; } = code;

    public HubError Error { get; } = error;

    /// <summary>The HTTP status, when there was a response.</summary>
    public int? Status { get; } = status;
}
