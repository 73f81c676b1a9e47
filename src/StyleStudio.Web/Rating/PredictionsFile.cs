using StyleStudio.Evaluation.Scoring;

namespace StyleStudio.Web.Rating;

/// <summary>
/// Reads an uploaded predictions file with the studio's one line reader, <see cref="LineFile"/> (UTF-8 checked, a BOM
/// dropped, lines as sacreBLEU reads them: CRLF or LF, trailing whitespace stripped, no line after a final newline), as the
/// evaluation page does.
/// </summary>
public static class PredictionsFile
{
    /// <exception cref="ArgumentException">Bytes that are not UTF-8 (with the line they are on), or an empty file.</exception>
    public static PredictionsSystem Read(string fileName, byte[] bytes)
    {
        // Through a file because LineFile reads paths (the CLI's reader); the message names the upload, not the copy.
        string path = Path.Combine(Path.GetTempPath(), $"stylestudio-rating-{Guid.NewGuid():N}.txt");
        try
        {
            File.WriteAllBytes(path, bytes);
            var lines = LineFile.Read(path);
            if (lines.Count == 0) throw new ArgumentException($"{fileName} is empty: it needs one output per line, one line per study row");
            return new PredictionsSystem(fileName, lines);
        }
        catch (LineFileException e)
        {
            throw new ArgumentException(e.Message.Replace(path, fileName));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
