using System.Text.RegularExpressions;
using LiteDB;

namespace StyleStudio.Data.Storage.Documents;

/// <summary>
/// Which documents a read or delete concerns: field comparisons combined with and/or. Comparisons follow LiteDB's rules
/// on both backends: a missing field equals null, numbers compare by value (an Int32 5 equals an Int64 5 and a Double
/// 5.0), strings match ignoring case (equals, starts-with) but order ordinally (greater-than: "Demo" &gt; "DEMO").
/// </summary>
public abstract partial record DocumentQuery
{
    /// <summary>The field equals <paramref name="value"/> (null: the field is null or missing).</summary>
    public static DocumentQuery Eq(string field, BsonValue value) => new FieldEquals(Checked(field), value ?? BsonValue.Null);

    /// <summary>The field differs from <paramref name="value"/>; a missing field differs from every value but null.</summary>
    public static DocumentQuery NotEq(string field, BsonValue value) => new FieldNotEquals(Checked(field), value ?? BsonValue.Null);

    /// <summary>The field is there and not null.</summary>
    public static DocumentQuery NotNull(string field) => NotEq(field, BsonValue.Null);

    /// <summary>The field is greater than <paramref name="value"/>: a number (by value), a string (ordinally) or a date,
    /// compared with values of its kind (how a field of another kind compares is the backend's business; stores keep a
    /// field to one kind).</summary>
    public static DocumentQuery Gt(string field, BsonValue value) =>
        value is { IsNumber: true } or { IsString: true } or { IsDateTime: true }
            ? new FieldGreaterThan(Checked(field), value)
            : throw new ArgumentException($"greater-than compares numbers, strings or dates, not {value?.Type.ToString() ?? "null"}");

    /// <summary>The field is a string that starts with <paramref name="prefix"/> (ignoring case).</summary>
    public static DocumentQuery StartsWith(string field, string prefix) => new FieldStartsWith(Checked(field), prefix);

    public static DocumentQuery And(params DocumentQuery[] all) => all.Length >= 2 ? new AllOf(all) : throw new ArgumentException("and needs two queries or more");

    public static DocumentQuery Or(params DocumentQuery[] any) => any.Length >= 2 ? new AnyOf(any) : throw new ArgumentException("or needs two queries or more");

    public sealed record FieldEquals(string Field, BsonValue Value) : DocumentQuery;

    public sealed record FieldNotEquals(string Field, BsonValue Value) : DocumentQuery;

    public sealed record FieldGreaterThan(string Field, BsonValue Value) : DocumentQuery;

    public sealed record FieldStartsWith(string Field, string Prefix) : DocumentQuery;

    public sealed record AllOf(IReadOnlyList<DocumentQuery> Queries) : DocumentQuery;

    public sealed record AnyOf(IReadOnlyList<DocumentQuery> Queries) : DocumentQuery;

    /// <summary>A top-level field name; names go into SQL and LiteDB expressions as they are, so nothing else is allowed.</summary>
    internal static string Checked(string name) => FieldName().IsMatch(name)
        ? name
        : throw new ArgumentException($"'{name}' is not a field name (letters, digits and underscores, not starting with a digit)");

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex FieldName();
}
