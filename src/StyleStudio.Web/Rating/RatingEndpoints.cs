using System.Text;
using StyleStudio.Web.Login;

namespace StyleStudio.Web.Rating;

/// <summary>The rating study's CSV export, a plain download beside the pages (behind the same sign-in as they are).</summary>
public static class RatingEndpoints
{
    public static string ExportPath(int studyId) => $"/rate/{studyId}/ratings.csv";

    public static void MapRatingExport(this WebApplication app)
    {
        var export = app.MapGet("/rate/{id:int}/ratings.csv", (int id, RatingStudies studies) =>
        {
            string csv;
            try
            {
                csv = studies.ExportCsv(id);
            }
            catch (ArgumentException e)
            {
                return Results.NotFound(e.Message);
            }
            // With a BOM, so spreadsheet programs read the Chinese text as UTF-8.
            var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(csv)).ToArray();
            return Results.File(bytes, "text/csv; charset=utf-8", $"rating-study-{id}.csv");
        });
        if (app.Services.GetRequiredService<StudioLogin>().Required) export.RequireAuthorization(StudioLogin.Policy);
    }
}
