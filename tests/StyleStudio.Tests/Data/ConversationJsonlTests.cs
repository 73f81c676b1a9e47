using StyleStudio.Data.Formats;

namespace StyleStudio.Tests.Data;

public sealed class ConversationJsonlTests : IDisposable
{
    readonly string path = Path.GetTempFileName();

    public void Dispose() => File.Delete(path);

    [Fact]
    public void Reads_alpaca_and_sharegpt_rows_and_reports_each_bad_row()
    {
        File.WriteAllLines(path,
        [
            """{"instruction": "改写成古风", "input": "今天天气很好", "output": "今日天朗气清", "system": "你是文言大师", "history": [["你好", "幸会"]]}""",
            """{"conversations": [{"from": "system", "value": "s"}, {"from": "human", "value": "q1"}, {"from": "gpt", "value": "a1"}, {"from": "human", "value": "q2"}, {"from": "gpt", "value": "a2"}]}""",
            "",
            """{"instruction": "x", "output": ""}""",
            """{"instruction": "x", "output": "y", "history": [["only one"]]}""",
            """{"conversations": [{"from": "human", "value": "q"}]}""",
            """{"instruction": "unterminated""",
            """[1, 2]""",
        ]);
        var result = ConversationJsonl.Read(path);

        Assert.Equal(2, result.Conversations.Count);
        var alpaca = result.Conversations[0];
        Assert.Equal("你是文言大师", alpaca.System);
        Assert.Equal([("你好", "幸会"), ("改写成古风\n今天天气很好", "今日天朗气清")], alpaca.Turns.Select(t => (t.User, t.Assistant)));
        Assert.Equal([("q1", "a1"), ("q2", "a2")], result.Conversations[1].Turns.Select(t => (t.User, t.Assistant)));

        Assert.Equal(
        [
            "line 4: output: empty",
            "line 5: history: each entry must be [question, answer] strings",
            "line 6: conversations: ends with a human message that has no answer",
        ], result.Errors.Take(3).Select(e => e.ToString()));
        Assert.Equal((7, "(row)"), (result.Errors[3].Line, result.Errors[3].Field));
        Assert.Contains("not valid JSON", result.Errors[3].Reason);
        Assert.Equal("line 8: (row): not a JSON object", result.Errors[4].ToString());
    }
}
