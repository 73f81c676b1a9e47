using System.Runtime.InteropServices;

namespace StyleStudio.Training.Runtime;

/// <summary>The C library's environment, which native code such as libtorch reads with getenv (Unix only).</summary>
static partial class NativeEnvironment
{
    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    public static void Set(string name, string value)
    {
        if (SetEnv(name, value, overwrite: 1) != 0)
            throw new InvalidOperationException($"setenv({name}) failed");
    }
}
