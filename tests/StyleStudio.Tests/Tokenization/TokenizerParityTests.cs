using System.Text.Json;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Tests.Tokenization;

/// <summary>Our tokenizer against Hugging Face tokenizers 0.23 on the real Qwen3 and Llama 3 files, over ~1.1 MB of text.</summary>
public class TokenizerParityTests
{
    static readonly List<string> Corpus = Fixtures.Corpus();

    [Theory]
    [InlineData("qwen3")]
    [InlineData("llama3")]
    public void Encodes_the_corpus_exactly_like_hugging_face(string name)
    {
        var tokenizer = TextTokenizer.Load(NpmTokenizers.Folder(name));
        var expected = Fixtures.GzipLines(Path.Combine(Fixtures.Tokenizers, $"{name}.ids.txt.gz")).ToList();
        Assert.Equal(Corpus.Count, expected.Count);
        Assert.True(Corpus.Sum(s => System.Text.Encoding.UTF8.GetByteCount(s)) > 1_000_000);

        var mismatches = new List<string>();
        for (int line = 0; line < Corpus.Count; line++)
        {
            string actual = string.Join(' ', tokenizer.Encode(Corpus[line]));
            if (actual != expected[line])
                mismatches.Add($"line {line + 1}: {Corpus[line][..Math.Min(60, Corpus[line].Length)]}\n  ours: {actual}\n  hf:   {expected[line]}");
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {Corpus.Count} lines differ:\n{string.Join("\n", mismatches.Take(5))}");
    }

    [Theory]
    [InlineData("qwen3")]
    [InlineData("llama3")]
    public void Adds_special_tokens_and_decodes_like_hugging_face(string name)
    {
        var tokenizer = TextTokenizer.Load(NpmTokenizers.Folder(name));
        using var extra = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Tokenizers, $"{name}.extra.json")));
        var withSpecials = extra.RootElement.GetProperty("with_special_tokens").EnumerateArray().ToList();
        for (int i = 0; i < withSpecials.Count; i++)
            Assert.Equal(withSpecials[i].EnumerateArray().Select(v => v.GetInt32()), tokenizer.Encode(Corpus[i], addSpecialTokens: true));

        var decoded = extra.RootElement.GetProperty("decoded_first_200").EnumerateArray().Select(d => d.GetString()).ToList();
        for (int i = 0; i < decoded.Count; i++)
            Assert.Equal(decoded[i], tokenizer.Decode(tokenizer.Encode(Corpus[i])));
    }
}
