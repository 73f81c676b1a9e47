using StyleStudio.Tests.Support;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Tests.Tokenization;

public class StreamingDetokenizerTests
{
    static bool IsWholeUtf8(byte[] bytes)
    {
        try
        {
            new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            return true;
        }
        catch (System.Text.DecoderFallbackException)
        {
            return false;
        }
    }

    [Theory]
    [InlineData("春眠不觉晓，处处闻啼鸟。😀👨‍👩‍👧‍👦 emoji and 汉字 mixed")]
    [InlineData("𠀀𠀁 rare CJK extension B, ﬁ ligature, 한국어")]
    public void Never_emits_a_broken_character(string text)
    {
        var tokenizer = TextTokenizer.Load(NpmTokenizers.Folder("qwen3"));
        var ids = tokenizer.Encode(text);
        Assert.Contains(ids, id => !IsWholeUtf8(tokenizer.TokenBytes(id))); // the text really splits characters across tokens

        var stream = new StreamingDetokenizer(tokenizer);
        var deltas = ids.Select(stream.Push).Append(stream.Flush()).ToList();
        Assert.DoesNotContain(deltas, d => d.Contains('\uFFFD'));
        Assert.Equal(text, string.Concat(deltas));
    }

    [Fact]
    public void Skips_special_tokens_and_flushes_an_unfinished_character_as_replacement()
    {
        var tokenizer = TextTokenizer.Load(NpmTokenizers.Folder("qwen3"));
        var stream = new StreamingDetokenizer(tokenizer);
        Assert.Equal("", stream.Push(tokenizer.TokenId("<|im_end|>")!.Value));
        var rare = tokenizer.Encode("𠀀");
        Assert.True(rare.Length > 1, "the character should span several byte-level tokens");
        Assert.Equal("", stream.Push(rare[0]));
        Assert.Equal("\uFFFD", stream.Flush());
    }
}
