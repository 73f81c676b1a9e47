using StyleStudio.Evaluation.Judging;

namespace StyleStudio.Tests.Evaluation;

/// <summary>The judge's reply rules, case by case: what is read as scores and, for everything else, the stated problem.</summary>
public class JudgeReplyTests
{
    [Theory]
    [InlineData("""{"style": 4, "meaning": 5, "fluency": 3, "reason": "ok"}""", 4, 5, 3, "ok")]
    [InlineData("""  {"fluency": 1, "style": 5, "meaning": 2}  """, 5, 2, 1, null)]
    [InlineData("```json\n{\"style\": 2, \"meaning\": 2, \"fluency\": 2, \"reason\": \"差\"}\n```", 2, 2, 2, "差")]
    [InlineData("```\n{\"style\": 1, \"meaning\": 1, \"fluency\": 1}\n```", 1, 1, 1, null)]
    [InlineData("""{"style": 3, "meaning": 3, "fluency": 3, "confidence": 0.9}""", 3, 3, 3, null)]
    public void A_json_verdict_is_read(string reply, int style, int meaning, int fluency, string? reason)
    {
        Assert.Equal(new JudgeScores(style, meaning, fluency, reason), JudgeReply.Parse(reply, out var problem));
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("", "the reply is empty")]
    [InlineData("Style 4, meaning 5, fluency 3.", "not a JSON object")]
    [InlineData("""Verdict: {"style": 4, "meaning": 5, "fluency": 3}""", "not a JSON object")]
    [InlineData("""{"style": 4, "meaning": 5, "fluency": 3} Thanks!""", "not a JSON object")]
    [InlineData("""{"style": 4, "meaning": 5, "fluency": 3,}""", "not a JSON object")]
    [InlineData("""[4, 5, 3]""", "the reply is a JSON array, not an object")]
    [InlineData("""{"style": "4", "meaning": 5, "fluency": 3}""", "'style' must be an integer from 1 to 5; got \"4\"")]
    [InlineData("""{"style": 4.0, "meaning": 5, "fluency": 3}""", "'style' must be an integer from 1 to 5; got 4.0")]
    [InlineData("""{"style": 4, "meaning": 0, "fluency": 3}""", "'meaning' must be an integer from 1 to 5; got 0")]
    [InlineData("""{"style": 4, "meaning": 5, "fluency": 6}""", "'fluency' must be an integer from 1 to 5; got 6")]
    [InlineData("""{"style": 4, "meaning": 5, "fluency": null}""", "'fluency' must be an integer from 1 to 5; got null")]
    [InlineData("""{"style": 4, "meaning": 5}""", "'fluency' is missing")]
    [InlineData("""{"Style": 4, "meaning": 5, "fluency": 3}""", "'style' is missing")]
    [InlineData("""{"style": 4, "style": 2, "meaning": 5, "fluency": 3}""", "'style' appears twice")]
    [InlineData("""{"style": 4, "meaning": 5, "fluency": 3, "reason": 7}""", "'reason' must be a string; got number")]
    [InlineData("Sure!\n```json\n{\"style\": 4, \"meaning\": 5, \"fluency\": 3}\n```", "not a JSON object")]
    public void Anything_else_is_malformed_with_its_problem(string reply, string problem)
    {
        Assert.Null(JudgeReply.Parse(reply, out var found));
        Assert.StartsWith(problem, found);
    }
}
