using System.CommandLine;
using StyleStudio.Training;
using StyleStudio.Training.Runtime;
using static TorchSharp.torch;

namespace StyleStudio.Cli.Commands;

/// <summary>Options several verbs share, defined once so they read and behave the same everywhere.</summary>
static class CommonOptions
{
    public static Option<DirectoryInfo> Model() => new("--model")
    {
        Description = "Hugging Face model folder (config.json, *.safetensors, tokenizer.json)",
        Required = true,
    };

    public static Option<DevicePreference> Device() => new("--device")
    {
        Description = "cpu, cuda, or auto (CUDA when available)",
        DefaultValueFactory = _ => DevicePreference.Auto,
    };

    public static Option<string> DType()
    {
        var option = new Option<string>("--dtype")
        {
            Description = "compute dtype: auto (bf16 on GPU, fp32 on CPU), float32, bfloat16 or float16",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong("auto", "float32", "bfloat16", "float16");
        return option;
    }

    public static Option<bool> Json() => new("--json") { Description = "print one JSON object instead of text" };
}
