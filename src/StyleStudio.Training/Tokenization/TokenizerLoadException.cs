namespace StyleStudio.Training.Tokenization;

/// <summary>A tokenizer file that cannot be used, naming the file and the JSON field at fault.</summary>
public sealed class TokenizerLoadException(string file, string field, string reason)
    : Exception($"{file}: {field}: {reason}")
{
    public string File { get; } = file;
    public string Field { get; } = field;
}
