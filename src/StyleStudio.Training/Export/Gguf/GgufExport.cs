using StyleStudio.Training.Adapters;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Templates;

namespace StyleStudio.Training.Export.Gguf;

/// <summary>
/// Exports a Hugging Face model (optionally with a PEFT adapter merged in) as a GGUF file for llama.cpp, Ollama and
/// LM Studio, plus an Ollama Modelfile beside it. The CLI's <c>export</c> verb and the studio call this.
/// </summary>
/// <remarks>
/// Nothing half-written ever sits under the requested names: the file is written (and quantized) under temporary names in
/// the same folder and moved into place at the end; a failure or cancellation removes the temporaries.
/// </remarks>
public static class GgufExport
{
    public static GgufExportResult Run(GgufExportRequest request, IProgress<GgufExportProgress>? progress = null,
        CancellationToken cancellation = default)
    {
        string output = Path.GetFullPath(request.OutputPath);
        string folder = Path.GetDirectoryName(output)!;
        if (!Directory.Exists(folder))
            throw new ArgumentException($"--out {output}: the folder {folder} does not exist (create it first)");
        if (!Directory.Exists(request.ModelFolder))
            throw new ModelLoadException(request.ModelFolder, null, "model folder not found");
        if (request.AdapterFolder is { } adapterFolder && !Directory.Exists(adapterFolder))
            throw new ArgumentException($"--adapter {adapterFolder}: folder not found (a PEFT adapter folder holds adapter_config.json)");

        var temporaries = new TemporaryPaths(folder, Path.GetFileName(output));
        try
        {
            string weights = request.ModelFolder;
            if (request.AdapterFolder is { } adapter)
            {
                progress?.Report(new GgufExportProgress("merging adapter", 0, 0, 0));
                weights = temporaries.Folder("merged");
                try
                {
                    AdapterMerger.MergeFolders(request.ModelFolder, adapter, weights);
                }
                catch (ModelLoadException e) when (e.File.StartsWith(Path.GetFullPath(adapter), StringComparison.Ordinal))
                {
                    throw new ArgumentException($"{e.Message} (is this adapter for another base than {request.ModelFolder}?)", e);
                }
                cancellation.ThrowIfCancellationRequested();
            }

            using var contents = GgufModelContents.Open(weights, request.ModelFolder, request.Type.WrittenType(), ModelName(request));
            if (LlamaCppQuantizer.RequiredRowMultiple(request.Type) is { } multiple && contents.FirstRowNotMultipleOf(multiple) is { } misfit)
                throw new ArgumentException($"--type {request.Type.Name()} stores rows in blocks of {multiple} values, but {misfit.Name} has rows of "
                    + $"{misfit.Shape[^1]}: llama.cpp cannot quantize this model to {request.Type.Name()}; use f16, bf16 or q4_k_m (which falls back per tensor)");
            var modelfileText = Modelfile(request, contents, Path.GetFileName(output));

            string written = temporaries.File(request.Type.IsQuantized() ? "f16" : "part");
            WriteGguf(written, contents, progress, cancellation);
            string finished = written;
            if (request.Type.IsQuantized())
            {
                progress?.Report(new GgufExportProgress($"quantizing to {request.Type.Name()} with llama.cpp", contents.Tensors.Count, contents.Tensors.Count, new FileInfo(written).Length));
                finished = temporaries.File("quantized");
                LlamaCppQuantizer.Quantize(written, finished, request.Type);
                cancellation.ThrowIfCancellationRequested();
            }

            string modelfile = Path.ChangeExtension(output, ".Modelfile");
            string modelfileTemporary = temporaries.File("Modelfile");
            File.WriteAllText(modelfileTemporary, modelfileText);
            File.Move(finished, output, overwrite: true);
            File.Move(modelfileTemporary, modelfile, overwrite: true);
            long bytes = new FileInfo(output).Length;
            progress?.Report(new GgufExportProgress("done", contents.Tensors.Count, contents.Tensors.Count, bytes));
            return new GgufExportResult(output, modelfile, bytes, contents.Architecture.Name, contents.Tensors.Count, contents.Caveats);
        }
        finally
        {
            temporaries.Delete();
        }
    }

    /// <summary><c>general.name</c>, which LM Studio and Ollama show: the base folder's name, and the adapter's after it.</summary>
    static string ModelName(GgufExportRequest request)
    {
        static string Name(string folder) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        return request.AdapterFolder is { } adapter ? $"{Name(request.ModelFolder)}:{Name(adapter)}" : Name(request.ModelFolder);
    }

    static void WriteGguf(string path, GgufModelContents contents, IProgress<GgufExportProgress>? progress, CancellationToken cancellation)
    {
        int count = contents.Tensors.Count;
        progress?.Report(new GgufExportProgress("writing tensors", 0, count, 0));
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        GgufFileWriter.Write(stream, contents.Metadata, contents.Tensors,
            (index, bytes) => progress?.Report(new GgufExportProgress("writing tensors", index + 1, count, bytes)), cancellation);
        stream.Flush(flushToDisk: true);
    }

    static string Modelfile(GgufExportRequest request, GgufModelContents contents, string ggufFileName)
    {
        var vocabulary = contents.Metadata.ToDictionary(m => m.Key, m => m.Value);
        var tokens = (IReadOnlyList<string>)vocabulary["tokenizer.ggml.tokens"].Value;
        string? Token(string key) => vocabulary.TryGetValue(key, out var id) ? tokens[(int)(uint)id.Value] : null;
        var template = request.Template is { } name ? PromptTemplates.Get(name) : DefaultTemplate(contents.Architecture.Name, tokens);
        string eos = Token("tokenizer.ggml.eos_token_id")
            ?? throw new ArgumentException($"{request.ModelFolder}: the tokenizer names no end-of-sequence token, so the Modelfile could not say where answers stop");
        bool addsBos = vocabulary.TryGetValue("tokenizer.ggml.add_bos_token", out var flag) && (bool)flag.Value;
        return OllamaModelfile.Build(ggufFileName, template, eos, addsBos ? Token("tokenizer.ggml.bos_token_id") : null, request.Sampling);
    }

    /// <summary>The template whose markers the vocabulary has: a Qwen-tokenized Llama is prompted the Qwen way.</summary>
    static PromptTemplate DefaultTemplate(string architecture, IReadOnlyList<string> tokens)
    {
        var vocabulary = tokens.ToHashSet();
        if (vocabulary.Contains("[gMASK]")) return PromptTemplates.Glm4;
        if (vocabulary.Contains("<|im_start|>")) return architecture == "qwen3" ? PromptTemplates.Qwen3 : PromptTemplates.Qwen;
        if (vocabulary.Contains("<|start_header_id|>")) return PromptTemplates.Llama3;
        if (vocabulary.Contains("[INST]")) return PromptTemplates.Mistral;
        return PromptTemplates.Default;
    }
}
