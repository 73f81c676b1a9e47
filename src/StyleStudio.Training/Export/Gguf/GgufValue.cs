namespace StyleStudio.Training.Export.Gguf;

/// <summary>The value types of GGUF metadata, numbered as in the GGUF v3 specification (docs/gguf.md in llama.cpp).</summary>
public enum GgufValueType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7, String = 8, Array = 9,
    UInt64 = 10, Int64 = 11, Float64 = 12,
}

/// <summary>
/// One typed metadata value. llama.cpp checks the stored type of every key it reads (a <c>block_count</c> written as int64
/// where it expects uint32 fails the load), so each value carries the exact type the loader wants.
/// </summary>
public sealed record GgufValue(GgufValueType Type, object Value, GgufValueType ElementType = GgufValueType.UInt8)
{
    public static GgufValue UInt32(uint value) => new(GgufValueType.UInt32, value);
    public static GgufValue UInt32(int value) => new(GgufValueType.UInt32, checked((uint)value));
    public static GgufValue Int32(int value) => new(GgufValueType.Int32, value);
    public static GgufValue Float32(double value) => new(GgufValueType.Float32, (float)value);
    public static GgufValue Bool(bool value) => new(GgufValueType.Bool, value);
    public static GgufValue String(string value) => new(GgufValueType.String, value);
    public static GgufValue Strings(IReadOnlyList<string> values) => new(GgufValueType.Array, values, GgufValueType.String);
    public static GgufValue Int32s(IReadOnlyList<int> values) => new(GgufValueType.Array, values, GgufValueType.Int32);
    public static GgufValue Float32s(IReadOnlyList<float> values) => new(GgufValueType.Array, values, GgufValueType.Float32);

    public override string ToString() => Value switch
    {
        string text => $"\"{text}\"",
        System.Collections.ICollection list => $"[{list.Count} × {ElementType}]",
        _ => Convert.ToString(Value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
