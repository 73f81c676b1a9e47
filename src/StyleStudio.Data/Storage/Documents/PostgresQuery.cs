using System.Globalization;
using System.Text;
using LiteDB;
using Npgsql;
using NpgsqlTypes;

namespace StyleStudio.Data.Storage.Documents;

/// <summary>
/// A <see cref="DocumentQuery"/> as a SQL condition over a collection's table (<c>id</c>, <c>doc</c>), with every value a
/// parameter. Field names are checked names (<see cref="DocumentQuery.Checked"/>), so they go into the text as literals,
/// which lets PostgreSQL match <c>stylestudio_key(doc -> 'field')</c> with the collection's expression indexes.
/// </summary>
sealed class PostgresQuery
{
    readonly StringBuilder sql = new();
    readonly List<NpgsqlParameter> parameters = [];

    PostgresQuery() { }

    public string Condition => sql.ToString();

    /// <summary>Whether the query reads a range of ids (then rows come in id order, straight from the primary key).</summary>
    public bool ByIdPrefix { get; private init; }

    public static PostgresQuery Of(DocumentQuery query)
    {
        var translated = new PostgresQuery { ByIdPrefix = query is DocumentQuery.FieldStartsWith { Field: "_id" } };
        translated.Append(query);
        return translated;
    }

    /// <summary>Adds this query's parameters to a command (each command gets its own translation).</summary>
    public void AddTo(NpgsqlCommand command) => command.Parameters.AddRange(parameters.ToArray());

    void Append(DocumentQuery query)
    {
        switch (query)
        {
            case DocumentQuery.FieldEquals { Field: "_id" } q:
                sql.Append(q.Value.IsNull ? "FALSE" : $"id = {Text(PostgresKeys.Of(q.Value))}");
                break;
            case DocumentQuery.FieldNotEquals { Field: "_id" } q:
                sql.Append(q.Value.IsNull ? "TRUE" : $"id <> {Text(PostgresKeys.Of(q.Value))}");
                break;
            case DocumentQuery.FieldStartsWith { Field: "_id" } q:
                AppendIdPrefix(PostgresKeys.StringPrefix(q.Prefix));
                break;
            case DocumentQuery.FieldEquals q:
                sql.Append(q.Value.IsNull ? $"{Key(q.Field)} IS NULL" : $"{Key(q.Field)} = stylestudio_key({Json(q.Value)})");
                break;
            case DocumentQuery.FieldNotEquals q:
                sql.Append(q.Value.IsNull ? $"{Key(q.Field)} IS NOT NULL" : $"{Key(q.Field)} IS DISTINCT FROM stylestudio_key({Json(q.Value)})");
                break;
            case DocumentQuery.FieldGreaterThan q:
                AppendGreaterThan(q.Field, q.Value);
                break;
            case DocumentQuery.FieldStartsWith q:
                sql.Append($"jsonb_typeof(doc -> '{q.Field}') = 'string' AND starts_with(lower((doc ->> '{q.Field}') COLLATE \"und-x-icu\"), lower({Text(q.Prefix)} COLLATE \"und-x-icu\"))");
                break;
            case DocumentQuery.AllOf q:
                Join(q.Queries, " AND ");
                break;
            case DocumentQuery.AnyOf q:
                Join(q.Queries, " OR ");
                break;
            default:
                throw new NotSupportedException(query.GetType().Name);
        }
    }

    void Join(IReadOnlyList<DocumentQuery> queries, string separator)
    {
        sql.Append('(');
        for (int i = 0; i < queries.Count; i++)
        {
            if (i > 0) sql.Append(separator);
            sql.Append('(');
            Append(queries[i]);
            sql.Append(')');
        }
        sql.Append(')');
    }

    /// <summary>Ids of one prefix are a range in the key column's byte order ("C"): [prefix, prefix with its last character
    /// moved up one). Where that character has no plain successor (a surrogate, U+D7FF, U+FFFF), starts_with does it.</summary>
    void AppendIdPrefix(string key)
    {
        char last = key[^1];
        if (char.IsSurrogate(last) || last is '\uD7FF' or '\uFFFF')
            sql.Append($"starts_with(id, {Text(key)})");
        else
            sql.Append($"id >= {Text(key)} AND id < {Text(key[..^1] + (char)(last + 1))}");
    }

    /// <summary>Numbers by value (Int64s included), strings ordinally (UTF-8 bytes: code points, as LiteDB's greater-than
    /// compares them), dates by instant (their ISO text, all UTC and of one width).</summary>
    void AppendGreaterThan(string field, BsonValue value)
    {
        string at = $"doc -> '{field}'";
        if (value.IsNumber)
        {
            if (!double.IsFinite(value.AsDouble)) throw new ArgumentException("greater-than compares finite numbers");
            string number = value.IsDouble ? value.AsDouble.ToString("R", CultureInfo.InvariantCulture)
                : value.IsDecimal ? value.AsDecimal.ToString(CultureInfo.InvariantCulture) : value.AsInt64.ToString(CultureInfo.InvariantCulture);
            sql.Append($"(CASE jsonb_typeof({at}) WHEN 'number' THEN ({at})::numeric WHEN 'object' THEN ({at} ->> '$numberLong')::numeric END) > {Text(number)}::numeric");
        }
        else if (value.IsString)
            sql.Append($"jsonb_typeof({at}) = 'string' AND ((doc ->> '{field}') COLLATE \"C\") > {Text(value.AsString)}");
        else
            sql.Append($"(({at} ->> '$date') COLLATE \"C\") > {Text(value.AsDateTime.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture))}");
    }

    static string Key(string field) => $"stylestudio_key(doc -> '{field}')";

    string Json(BsonValue value) => Parameter(BsonJson.Write(value), NpgsqlDbType.Jsonb);

    string Text(string value) => Parameter(value, NpgsqlDbType.Text);

    string Parameter(string value, NpgsqlDbType type)
    {
        string name = $"q{parameters.Count}";
        parameters.Add(new NpgsqlParameter(name, type) { Value = value });
        return "@" + name;
    }
}
