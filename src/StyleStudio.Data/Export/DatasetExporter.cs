using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using StyleStudio.Data.Model;

namespace StyleStudio.Data.Export;

public enum ExportFormat
{
    /// <summary>JSON Lines with instruction, input, output, system, history (and style).</summary>
    Alpaca,
    /// <summary>A JSON array of {conversations: [{from, value}], system} (and style).</summary>
    ShareGpt,
}

/// <summary>
/// Writes a dataset for LLaMA-Factory: the data file plus a <c>dataset_info.json</c> entry that describes its columns,
/// merged into an existing dataset_info.json in the same folder if there is one. Files are written under a temporary
/// name and renamed, so a failed export never leaves half a file.
/// </summary>
public static class DatasetExporter
{
    /// <summary>A dataset name as one file name: separators and other characters no file name may hold become '_',
    /// so even a name stored before names were checked cannot lead the export out of its folder.</summary>
    static string FileNameFor(string name)
    {
        var invalid = Path.GetInvalidFileNameChars().Append('\\').ToHashSet();
        string file = new(name.Select(c => invalid.Contains(c) || char.IsControl(c) ? '_' : c).ToArray());
        return file.Trim('.').Length == 0 ? "dataset" : file;
    }

    static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Export(IEnumerable<DatasetRow> rows, string folder, string name, ExportFormat format)
    {
        Directory.CreateDirectory(folder);
        string file = FileNameFor(name) + (format == ExportFormat.Alpaca ? ".jsonl" : ".json");
        string path = Path.Combine(folder, file);
        if (!Path.GetFullPath(path).StartsWith(Path.GetFullPath(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"dataset name '{name}' would write outside {folder}");
        using (var writer = new StreamWriter(path + ".tmp"))
        {
            if (format == ExportFormat.Alpaca)
                foreach (var row in rows) writer.WriteLine(Alpaca(row).ToJsonString(Options));
            else
            {
                writer.Write('[');
                bool first = true;
                foreach (var row in rows)
                {
                    writer.Write(first ? "\n" : ",\n");
                    writer.Write(ShareGpt(row).ToJsonString(Options));
                    first = false;
                }
                writer.Write("\n]\n");
            }
        }
        File.Move(path + ".tmp", path, overwrite: true);
        WriteDatasetInfo(folder, name, file, format);
        return path;
    }

    static JsonObject Alpaca(DatasetRow row) => WithProvenance(row, new JsonObject
    {
        ["instruction"] = row.Instruction,
        ["input"] = row.Input,
        ["output"] = row.Output,
        ["system"] = row.System,
        ["history"] = new JsonArray(row.History.Select(t => (JsonNode)new JsonArray(t.User, t.Assistant)).ToArray()),
        ["style"] = row.Style,
    });

    /// <summary>A mined or generated pair's score and an annotated pair's author, only where the row has them (LLaMA-Factory
    /// ignores columns it is not told about).</summary>
    static JsonObject WithProvenance(DatasetRow row, JsonObject json)
    {
        if (row.Score is { } score) json["score"] = score;
        if (row.Author is { } author) json["author"] = author;
        return json;
    }

    static JsonObject ShareGpt(DatasetRow row)
    {
        var messages = new JsonArray();
        foreach (var (user, assistant) in row.History.Select(t => (t.User, t.Assistant)).Append((row.Query, row.Output)))
        {
            messages.Add(new JsonObject { ["from"] = "human", ["value"] = user });
            messages.Add(new JsonObject { ["from"] = "gpt", ["value"] = assistant });
        }
        return WithProvenance(row, new JsonObject { ["conversations"] = messages, ["system"] = row.System, ["style"] = row.Style });
    }

    /// <summary>LLaMA-Factory's description of the file: its formatting and which column is which.</summary>
    static void WriteDatasetInfo(string folder, string name, string file, ExportFormat format)
    {
        string path = Path.Combine(folder, "dataset_info.json");
        var info = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? [] : new JsonObject();
        info[name] = format == ExportFormat.Alpaca
            ? new JsonObject
            {
                ["file_name"] = file,
                ["columns"] = new JsonObject { ["prompt"] = "instruction", ["query"] = "input", ["response"] = "output", ["system"] = "system", ["history"] = "history" },
            }
            : new JsonObject
            {
                ["file_name"] = file,
                ["formatting"] = "sharegpt",
                ["columns"] = new JsonObject { ["messages"] = "conversations", ["system"] = "system" },
            };
        File.WriteAllText(path + ".tmp", info.ToJsonString(new JsonSerializerOptions(Options) { WriteIndented = true }));
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
