using StyleStudio.Web;
using StyleStudio.Web.Api;
using StyleStudio.Web.Components;
using StyleStudio.Web.Models;
using StyleStudio.Web.Training;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddStudio(builder.Configuration);

var app = builder.Build();
if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/error", createScopeForErrors: true);
app.UseAntiforgery();
app.MapStaticAssets();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.MapOpenAi();
app.Services.GetRequiredService<TrainingRuns>().RecoverInterrupted();
app.Services.GetRequiredService<ModelDownloads>().RecoverInterrupted();
app.Run();

/// <summary>Entry point type, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
