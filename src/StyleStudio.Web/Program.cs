using Hangfire;
using StyleStudio.Web;
using StyleStudio.Web.Api;
using StyleStudio.Web.Api.Studio;
using StyleStudio.Web.Components;
using StyleStudio.Web.Login;
using StyleStudio.Web.Models;
using StyleStudio.Web.Rating;
using StyleStudio.Web.Training;
using StyleStudio.Web.Evaluations;
using StyleStudio.Web.Localization;

// Killing the README's `dotnet run --project src/StyleStudio.Web` must stop the studio, not leave it serving unseen.
StyleStudio.Application.ParentProcess.EndWithDotnetRun();
var builder = WebApplication.CreateBuilder(args);
// MudBlazor's files and the framework's blazor.web.js live in NuGet's cache when the studio runs from source, and
// ASP.NET Core maps them there only in Development. Mapping them in every environment makes the README's `dotnet run`
// (Production) serve a styled, live studio; a published build has no such manifest and serves its own wwwroot.
builder.WebHost.UseStaticWebAssets();
builder.Services.AddStudio(builder.Configuration);

var app = builder.Build();
if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/error", createScopeForErrors: true);
// Chinese or English per request (the switch's cookie, else the browser's languages); the circuit keeps the first request's.
app.UseRequestLocalization(StudioCultures.Options());
// An empty 404 becomes the studio's not-found page (the API writes its own error bodies, which this leaves alone).
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
// Without a password the pages answer this machine only; with one, every page needs a sign-in.
app.UseLocalOnlyPages();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets();
var pages = app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
var login = app.Services.GetRequiredService<StudioLogin>();
if (login.Required) pages.RequireAuthorization(StudioLogin.Policy);
app.MapStudioLogin();
app.MapCultureSwitch();
var exports = app.MapEvaluationExports();
if (login.Required) exports.RequireAuthorization(StudioLogin.Policy);
var runDownloads = app.MapRunDownloads();
if (login.Required) runDownloads.RequireAuthorization(StudioLogin.Policy);
app.MapOpenAi();
app.MapStudioApi();
app.MapOpenApi();
app.MapRatingExport();
app.MapHub<TrainingHub>(TrainingHub.Path).RequireAuthorization(ApiKeyAuthentication.Policy);
app.MapHangfireDashboard("/hangfire", new DashboardOptions
{
    Authorization = [],
    AsyncAuthorization = [new DashboardAccessFilter(app.Services.GetRequiredService<ApiAccess>(), login)],
});
// A cluster's runs train on its workers, whose deaths the run watchdog notices; only an embedded studio trains itself.
bool clustered = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StudioOptions>>().Value.Clustered;
if (!clustered) app.Services.GetRequiredService<TrainingRuns>().RecoverInterrupted();
// What the studio itself runs is re-queued after a restart, unless another studio process of the cluster is running it.
if (!clustered || !StyleStudio.Application.Cluster.StudioPeers.OthersServe(app.Services.GetRequiredService<Hangfire.JobStorage>(), EvaluationJob.Queue))
{
    app.Services.GetRequiredService<EvaluationRuns>().RecoverInterrupted();
    app.Services.GetRequiredService<StyleStudio.Web.Pairs.PairGenerations>().RecoverInterrupted();
    app.Services.GetRequiredService<ModelDownloads>().RecoverInterrupted();
}
app.Lifetime.ApplicationStarted.Register(() => StartupReport.Write(app));
app.Run();

/// <summary>Entry point type, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
