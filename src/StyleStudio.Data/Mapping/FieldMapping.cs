namespace StyleStudio.Data.Mapping;

/// <summary>How a file's records hold their examples.</summary>
public enum RowShape
{
    /// <summary>One column per field (alpaca, or any column names mapped by the user).</summary>
    Columns,
    /// <summary>A list of {from, value} messages (human / gpt / system).</summary>
    ShareGpt,
    /// <summary>A list of {role, content} messages (system / user / assistant).</summary>
    OpenAiMessages,
}

/// <summary>
/// Which column of a file feeds which field of <see cref="Model.DatasetRow"/>. Columns shape needs an output column and
/// an instruction or input column; the message shapes need the column holding the messages.
/// </summary>
public sealed record FieldMapping
{
    public static readonly IReadOnlyList<string> Fields = ["instruction", "input", "output", "system", "style", "history"];

    public RowShape Shape { get; init; } = RowShape.Columns;
    public string? Instruction { get; init; }
    public string? Input { get; init; }
    public string? Output { get; init; }
    public string? System { get; init; }
    public string? Style { get; init; }
    /// <summary>Alpaca's history: a list of [question, answer] pairs.</summary>
    public string? History { get; init; }
    /// <summary>The messages column of the ShareGpt and OpenAI shapes.</summary>
    public string? Messages { get; init; }
    /// <summary>One style for every row of the file (used when no style column is mapped).</summary>
    public string? FixedStyle { get; init; }

    /// <summary>
    /// Applies a user choice "column=field" (field one of <see cref="Fields"/>, or "messages" / "conversations"); the column
    /// leaves whatever field it fed before.
    /// </summary>
    public FieldMapping With(string column, string field) => Without(column).Assign(column, field);

    FieldMapping Without(string column) => this with
    {
        Instruction = Instruction == column ? null : Instruction,
        Input = Input == column ? null : Input,
        Output = Output == column ? null : Output,
        System = System == column ? null : System,
        Style = Style == column ? null : Style,
        History = History == column ? null : History,
        Messages = Messages == column ? null : Messages,
    };

    FieldMapping Assign(string column, string field) => field.ToLowerInvariant() switch
    {
        "instruction" => this with { Shape = RowShape.Columns, Instruction = column },
        "input" => this with { Shape = RowShape.Columns, Input = column },
        "output" => this with { Shape = RowShape.Columns, Output = column },
        "system" => this with { System = column },
        "style" => this with { Style = column },
        "history" => this with { History = column },
        "conversations" => this with { Shape = RowShape.ShareGpt, Messages = column },
        "messages" => this with { Shape = RowShape.OpenAiMessages, Messages = column },
        _ => throw new ArgumentException($"unknown field '{field}' for column '{column}'; map columns to {string.Join(", ", Fields)}, conversations or messages"),
    };

    /// <summary>The column feeding <paramref name="field"/> (one of <see cref="Fields"/> or "messages"), or null.</summary>
    public string? ColumnOf(string field) => field switch
    {
        "instruction" => Instruction,
        "input" => Input,
        "output" => Output,
        "system" => System,
        "style" => Style,
        "history" => History,
        "messages" => Messages,
        _ => throw new ArgumentException($"unknown field '{field}'"),
    };

    /// <summary>
    /// Sets one field's column (null: none), leaving every other field as it is — a dropdown per field, unlike
    /// <see cref="With"/>, which moves a column between fields.
    /// </summary>
    public FieldMapping WithField(string field, string? column) => field switch
    {
        "instruction" => this with { Instruction = column },
        "input" => this with { Input = column },
        "output" => this with { Output = column },
        "system" => this with { System = column },
        "style" => this with { Style = column },
        "history" => this with { History = column },
        "messages" => this with { Messages = column },
        _ => throw new ArgumentException($"unknown field '{field}'"),
    };

    /// <summary>Input and output exchanged: the fix for a two-column file whose order was guessed the wrong way round.</summary>
    public FieldMapping Swapped() => this with { Input = Output, Output = Input };

    /// <summary>Every column the mapping reads, once each.</summary>
    public IEnumerable<string> Columns() =>
        new[] { Instruction, Input, Output, System, Style, History, Shape == RowShape.Columns ? null : Messages }.OfType<string>().Distinct();

    /// <summary>What is missing for this mapping to produce rows, or null when it is complete.</summary>
    public string? Problem() => Shape switch
    {
        RowShape.Columns when Output is null => "no column is mapped to output",
        RowShape.Columns when Instruction is null && Input is null => "no column is mapped to instruction or input",
        RowShape.ShareGpt or RowShape.OpenAiMessages when Messages is null => "no messages column is mapped",
        _ => null,
    };

    public override string ToString() => Shape switch
    {
        RowShape.Columns => string.Join(", ", new[] { ("instruction", Instruction), ("input", Input), ("output", Output), ("system", System), ("style", Style), ("history", History) }
            .Where(p => p.Item2 is not null).Select(p => $"{p.Item2}→{p.Item1}")) + (FixedStyle is null ? "" : $", style={FixedStyle}"),
        _ => $"{Messages}→{(Shape == RowShape.ShareGpt ? "conversations" : "messages")}" + (Style is null ? "" : $", {Style}→style") +
             (FixedStyle is null ? "" : $", style={FixedStyle}"),
    };
}
