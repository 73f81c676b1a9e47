using System.Text.Json;

namespace StyleStudio.Application;

/// <summary>Error messages as users read them.</summary>
public static class ErrorText
{
    /// <summary>
    /// An argument error's message without .NET's " (Parameter 'x')" tail, with the rejected value when the exception
    /// carries one.
    /// </summary>
    public static string Plain(ArgumentException e)
    {
        int tail = e.Message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        string reason = tail >= 0 ? e.Message[..tail] : e.Message;
        return e is ArgumentOutOfRangeException { ActualValue: { } actual } ? $"{reason}; got {JsonSerializer.Serialize(actual)}" : reason;
    }
}
