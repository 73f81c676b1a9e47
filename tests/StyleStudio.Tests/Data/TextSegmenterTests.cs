using StyleStudio.Data.Corpora;

namespace StyleStudio.Tests.Data;

public sealed class TextSegmenterTests
{
    public static TheoryData<string, string[]> Chinese => new()
    {
        { "今天天气很好。我们去公园吧！你去吗？", ["今天天气很好。", "我们去公园吧！", "你去吗？"] },
        // Quoted speech with sentence ends inside stays whole; the quote ending with 。 closes the sentence.
        { "他说：「今天天气很好。我们出去吧。」然后就走了。", ["他说：「今天天气很好。我们出去吧。」", "然后就走了。"] },
        { "「你好」，他说。她没有回答……过了很久才开口。", ["「你好」，他说。", "她没有回答……", "过了很久才开口。"] },
        { "他问：“你来吗？”我说：“来。”", ["他问：“你来吗？”", "我说：“来。”"] },
        { "真的吗？！我不信。", ["真的吗？！", "我不信。"] },
        { "春眠不觉晓；处处闻啼鸟。", ["春眠不觉晓；", "处处闻啼鸟。"] },
        { "风雨交加⋯⋯他还是来了。", ["风雨交加⋯⋯", "他还是来了。"] },
        { "（此处从略。）下文再说。", ["（此处从略。）", "下文再说。"] },
        { "『甲说：「走。」』乙不应。", ["『甲说：「走。」』", "乙不应。"] },
        // A quote that never closes (speech running on into the next paragraph) protects nothing.
        { "「第一句。第二句。", ["「第一句。", "第二句。"] },
        { "版本3.0发布了，大家都很高兴", ["版本3.0发布了，大家都很高兴"] },
    };

    public static TheoryData<string, string[]> English => new()
    {
        { "Mr. Smith went to Washington. He arrived at 3.14 p.m. sharp.", ["Mr. Smith went to Washington.", "He arrived at 3.14 p.m. sharp."] },
        { "She moved to the U.S. in 1990. Then she left.", ["She moved to the U.S. in 1990.", "Then she left."] },
        { "Bring fruit, e.g. Fuji apples. Dr. Who agreed.", ["Bring fruit, e.g. Fuji apples.", "Dr. Who agreed."] },
        { "Wait... what happened? Nothing… Really.", ["Wait... what happened?", "Nothing…", "Really."] },
        { "He said, \"Stop.\" Then he left.", ["He said, \"Stop.\"", "Then he left."] },
        { "“I’m done. Goodbye,” she said. ‘Fine.’ He left!", ["“I’m done. Goodbye,” she said.", "‘Fine.’", "He left!"] },
        { "“Stop!” he said. “Now.” She ran.", ["“Stop!” he said.", "“Now.”", "She ran."] },
        { "J. K. Rowling wrote it. It sold.", ["J. K. Rowling wrote it.", "It sold."] },
        { "Is it real?! Yes (mostly.) Fine.", ["Is it real?!", "Yes (mostly.)", "Fine."] },
        { "Apples, pears, etc. are fruit. Etc. Done.", ["Apples, pears, etc. are fruit.", "Etc.", "Done."] },
        { "Visit example.com today.", ["Visit example.com today."] },
    };

    public static TheoryData<string, string[]> Mixed => new()
    {
        { "我喜欢Python。It is great. 你呢？OK!", ["我喜欢Python。", "It is great.", "你呢？", "OK!"] },
        { "他说OK.然后走了。", ["他说OK.", "然后走了。"] },
        { "  前后有空格。  ", ["前后有空格。"] },
        { "   ", new string[0] },
    };

    [Theory, MemberData(nameof(Chinese))]
    public void Chinese_sentences_end_at_full_stops_and_ellipses_keeping_quotes_whole(string text, string[] sentences) =>
        Assert.Equal(sentences, TextSegmenter.Sentences(text));

    [Theory, MemberData(nameof(English))]
    public void English_sentences_skip_abbreviations_decimals_and_keep_their_closing_quotes(string text, string[] sentences) =>
        Assert.Equal(sentences, TextSegmenter.Sentences(text));

    [Theory, MemberData(nameof(Mixed))]
    public void Mixed_text_splits_by_the_rules_of_each_script(string text, string[] sentences) =>
        Assert.Equal(sentences, TextSegmenter.Sentences(text));

    [Theory]
    [InlineData(new[] { "滚滚长江东逝水，浪花淘尽", "英雄。" }, "滚滚长江东逝水，浪花淘尽英雄。")]
    [InlineData(new[] { "The lazy dog keeps run-", "ning far away." }, "The lazy dog keeps running far away.")]
    [InlineData(new[] { "A well-", "Known name" }, "A well- Known name")]
    [InlineData(new[] { "他会说English", "and 中文" }, "他会说English and 中文")]
    public void Lines_of_a_paragraph_join_with_a_space_only_between_non_Chinese_ends(string[] lines, string joined) =>
        Assert.Equal(joined, Scripts.JoinLines(lines));
}
