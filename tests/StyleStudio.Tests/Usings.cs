global using Xunit;
global using StyleStudio.Application;
global using StyleStudio.Application.Events;
global using StyleStudio.Application.Runs;
