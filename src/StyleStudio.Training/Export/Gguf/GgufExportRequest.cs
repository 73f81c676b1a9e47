using StyleStudio.Training.Generation;

namespace StyleStudio.Training.Export.Gguf;

/// <summary>What to export, and where.</summary>
/// <param name="ModelFolder">The Hugging Face base model folder (config.json, safetensors, tokenizer.json).</param>
/// <param name="OutputPath">The .gguf file to write; its folder must exist. Replaced only once the new file is complete.</param>
/// <param name="Type">Weight type of the 2-D tensors (norms and biases stay F32, as llama.cpp's converter keeps them).</param>
/// <param name="AdapterFolder">A PEFT adapter to merge into the base first; null for the base alone.</param>
/// <param name="Template">The prompt template the Modelfile's TEMPLATE is built from; null picks one by architecture.</param>
/// <param name="Sampling">A style's sampling presets, written as Modelfile PARAMETER lines; null for Ollama's defaults.</param>
public sealed record GgufExportRequest(string ModelFolder, string OutputPath, GgufExportType Type, string? AdapterFolder = null,
    string? Template = null, SamplingOptions? Sampling = null);

/// <summary>Where an export stands: its stage, tensors written of all, and bytes of tensor data written so far.</summary>
public sealed record GgufExportProgress(string Stage, int TensorsDone, int TensorCount, long BytesWritten);

/// <summary>A finished export.</summary>
/// <param name="Path">The .gguf file.</param>
/// <param name="ModelfilePath">The Ollama Modelfile written beside it.</param>
/// <param name="Bytes">Size of the .gguf file.</param>
/// <param name="Architecture">llama.cpp's architecture name (qwen2, qwen3, llama, …).</param>
/// <param name="Caveats">Where llama.cpp will not behave exactly as our engine (e.g. no sliding window).</param>
public sealed record GgufExportResult(string Path, string ModelfilePath, long Bytes, string Architecture, int TensorCount,
    IReadOnlyList<string> Caveats);
