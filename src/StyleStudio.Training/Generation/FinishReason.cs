namespace StyleStudio.Training.Generation;

/// <summary>Why generation ended.</summary>
public enum FinishReason
{
    /// <summary>The model produced an end-of-sequence token.</summary>
    Eos,
    /// <summary>MaxNewTokens was reached.</summary>
    Length,
    /// <summary>A stop string appeared; the text ends before it.</summary>
    StopString,
    /// <summary>The caller cancelled.</summary>
    Cancelled,
}
