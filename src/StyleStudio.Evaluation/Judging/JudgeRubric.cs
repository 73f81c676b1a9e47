using System.Text;

namespace StyleStudio.Evaluation.Judging;

/// <summary>A chat message sent to the judge.</summary>
public sealed record JudgeMessage(string Role, string Content);

/// <summary>What the judge is shown for one row.</summary>
/// <param name="Source">The text that was rewritten.</param>
/// <param name="Rewrite">The rewrite being judged (a system's output).</param>
/// <param name="Reference">A reference rewrite in the target style, when there is one.</param>
public sealed record JudgeItem(string Source, string Rewrite, string? Reference = null);

/// <summary>
/// The rubric: three axes scored 1–5 with written anchors for 1, 3 and 5 — style strength (is the rewrite in the target
/// style), meaning preserved (against the source) and fluency — and a demand for one JSON object. Written once in Chinese
/// and once in English; <see cref="Version"/> changes whenever a word of either changes, so cached verdicts of an older
/// rubric are never reused.
/// </summary>
public static class JudgeRubric
{
    public const string Version = "style-meaning-fluency/1";

    /// <summary>The reply format the rubric asks for, shown to the judge verbatim.</summary>
    public const string ReplyShape = """{"style": 1-5, "meaning": 1-5, "fluency": 1-5, "reason": "..."}""";

    /// <summary>The conversation that asks for one verdict: the rubric as the system message, the row as the user's.</summary>
    public static IReadOnlyList<JudgeMessage> Messages(RubricLanguage language, string style, JudgeItem item) =>
        [new("system", Instructions(language)), new("user", Row(language, style, item))];

    /// <summary>What a retry adds after a malformed reply: the reply itself and what was wrong with it.</summary>
    public static IReadOnlyList<JudgeMessage> Correction(RubricLanguage language, string reply, string problem) =>
    [
        new("assistant", reply),
        new("user", language == RubricLanguage.Chinese
            ? $"上面的回复无法使用（{problem}）。请只回复一个 JSON 对象，不要任何其他文字：{ReplyShape}，三个分数都必须是 1 到 5 的整数。"
            : $"That reply cannot be used ({problem}). Reply with one JSON object and nothing else: {ReplyShape}, all three scores integers from 1 to 5."),
    ];

    public static string Instructions(RubricLanguage language) => language == RubricLanguage.Chinese ? Chinese : English;

    static string Row(RubricLanguage language, string style, JudgeItem item)
    {
        bool zh = language == RubricLanguage.Chinese;
        var text = new StringBuilder();
        text.Append(zh ? "目标风格：" : "Target style: ").AppendLine(style).AppendLine();
        text.AppendLine(zh ? "原文：" : "Source text:").AppendLine(item.Source).AppendLine();
        if (item.Reference is { } reference)
            text.AppendLine(zh ? "参考改写（人工写的目标风格版本，仅供对照）：" : "Reference rewrite (a person's version in the target style, for comparison only):")
                .AppendLine(reference).AppendLine();
        text.AppendLine(zh ? "待评改写：" : "Rewrite to judge:").AppendLine(item.Rewrite).AppendLine();
        text.Append(zh ? "请只回复 JSON：" : "Reply with the JSON only: ").Append(ReplyShape);
        return text.ToString();
    }

    const string English = """
        You judge rewrites of a text into a target style. Score the rewrite on three axes, each an integer from 1 to 5.

        style — how fully the rewrite is in the target style:
          1 = not in the target style at all; it reads like the source or like neutral text.
          3 = partly in the style: some of its features, but inconsistent or mixed with the source's register.
          5 = fully and consistently in the target style, as a skilled writer of that style would write it.

        meaning — how well the rewrite keeps the source's meaning:
          1 = the meaning is lost or contradicted; key facts are missing, changed or invented.
          3 = the main point is kept, but some details are missing, added or distorted.
          5 = everything the source says is kept; nothing is added, dropped or changed beyond the wording.

        fluency — how well the rewrite reads as text in its language, whatever the source:
          1 = hard to read: broken grammar, garbled or repeated words, or the wrong language.
          3 = understandable, with noticeable errors or awkward phrasing.
          5 = natural and correct, as a native writer would write it.

        Use 2 and 4 for rewrites between two anchors. Judge each axis on its own: a rewrite can be fluent and keep the
        meaning yet not be in the style. A reference rewrite, when shown, is one good answer, not the only one.
        Reply with one JSON object and nothing else — no code fence, no text before or after:
        {"style": <1-5>, "meaning": <1-5>, "fluency": <1-5>, "reason": "<one or two sentences>"}
        """;

    const string Chinese = """
        你负责评判把一段文字改写成目标风格的结果。请从三个维度给改写打分，每项为 1 到 5 的整数。

        style（风格强度）——改写在多大程度上符合目标风格：
          1 = 完全不是目标风格，读起来和原文或普通中性文字一样。
          3 = 部分符合：有一些该风格的特征，但不一致，或与原文的语体混杂。
          5 = 完全、一致地符合目标风格，像擅长这种风格的作者写的。

        meaning（意思保留）——改写在多大程度上保留了原文的意思：
          1 = 意思丢失或被歪曲；关键信息缺失、被改动或凭空捏造。
          3 = 主要意思保留了，但有些细节缺失、增添或走样。
          5 = 原文的全部内容都保留了；除了措辞，没有增加、删减或改动。

        fluency（流畅度）——改写本身作为该语言的文字是否通顺，不论原文如何：
          1 = 难以读懂：语法破碎、词语错乱或重复，或用错了语言。
          3 = 能看懂，但有明显的错误或别扭的表达。
          5 = 自然、正确，像母语作者写的。

        介于两个锚点之间的用 2 或 4。各维度分别评判：改写可能通顺且保留原意，却不是目标风格。若给出参考改写，它只是一个好答案，不是唯一答案。
        只回复一个 JSON 对象，不要代码块，前后不要任何文字（reason 用中文写一两句）：
        {"style": <1-5>, "meaning": <1-5>, "fluency": <1-5>, "reason": "<一两句理由>"}
        """;
}
