using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using StyleStudio.Models.Hubs;

namespace StyleStudio.Models.Download;

/// <summary>
/// Fetches one file into a partial <c>NAME.incomplete</c> beside its final place, continuing from the bytes already there
/// with an HTTP Range request (after a dropped connection within this call — a few attempts with backoff — or from an
/// earlier, interrupted process), then verifies size and sha256 before giving it its real name.
/// </summary>
sealed class FileFetcher(HubHttp http, Action<long> transferred)
{
    public const string PartialSuffix = ".incomplete";
    const int Attempts = 5;
    static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Fetches <paramref name="uri"/> to <paramref name="destination"/>; returns the file's size.</summary>
    public async Task<long> FetchAsync(Uri uri, string name, string destination, RemoteFile expected, CancellationToken cancellation)
    {
        string partial = destination + PartialSuffix;
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await TransferAsync(uri, name, partial, expected.Size, cancellation);
                break;
            }
            catch (Exception e) when (attempt < Attempts && IsTransient(e, cancellation))
            {
                // The bytes received so far stay in the partial file; the next attempt asks for the rest.
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellation);
            }
            catch (Exception e) when (IsTransient(e, cancellation))
            {
                throw new IOException($"{name}: the transfer failed {Attempts} times ({e.Message}); run the pull again to continue from the bytes already on disk", e);
            }
        }
        long size = await VerifyAsync(name, partial, expected, cancellation);
        File.Move(partial, destination, overwrite: true);
        return size;
    }

    async Task TransferAsync(Uri uri, string name, string partial, long? size, CancellationToken cancellation)
    {
        long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (size is { } total && have > total)
        {
            File.Delete(partial);   // not a prefix of this file (the repository changed): start over
            have = 0;
        }
        if (size is { } complete && have == complete) return;   // asking for bytes past the end would get a 416

        using var response = await RequestAsync(uri, name, have, cancellation);
        if (response is null) return;   // nothing past the bytes we have: the partial file is whole (checked next)
        long start = 0;
        if (response.StatusCode == HttpStatusCode.PartialContent)
        {
            start = response.Content.Headers.ContentRange?.From
                ?? throw new IOException($"{name}: a partial answer without Content-Range");
            if (start != have)
            {
                File.Delete(partial);   // the next attempt starts over rather than splice mismatched bytes
                throw new IOException($"{name}: asked for bytes from {have} but got them from {start}");
            }
        }
        // A 200 answer to a Range request is the whole file: start over.
        await using var file = new FileStream(partial, start == 0 ? FileMode.Create : FileMode.Append, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        if (start == 0 && have > 0) transferred(-have);
        await using var body = await response.Content.ReadAsStreamAsync(cancellation);
        var buffer = new byte[1 << 16];
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        while (true)
        {
            stall.CancelAfter(StallTimeout);
            int read = await body.ReadAsync(buffer, stall.Token);
            if (read == 0) break;
            await file.WriteAsync(buffer.AsMemory(0, read), cancellation);
            transferred(read);
        }
        await file.FlushAsync(cancellation);
        if (size is { } expected && file.Length < expected)
            throw new IOException($"{name}: the connection ended at byte {file.Length} of {expected}");
    }

    /// <summary>GETs the file from byte <paramref name="have"/> on; null when the server has nothing past it (416).</summary>
    async Task<HttpResponseMessage?> RequestAsync(Uri uri, string name, long have, CancellationToken cancellation)
    {
        try
        {
            return await http.SendAsync(HttpMethod.Get, uri, name, cancellation,
                headers => { if (have > 0) headers.Range = new RangeHeaderValue(have, null); });
        }
        catch (HubException e) when (e.Status == 416 && have > 0)
        {
            return null;
        }
    }

    static async Task<long> VerifyAsync(string name, string partial, RemoteFile expected, CancellationToken cancellation)
    {
        long size = new FileInfo(partial).Length;
        if (expected.Size is { } want && size != want)
        {
            File.Delete(partial);
            throw new ChecksumMismatchException(name, $"{size} bytes received, the hub lists {want}");
        }
        if (expected.Sha256 is { } sha)
        {
            await using var stream = File.OpenRead(partial);
            string actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellation));
            if (!string.Equals(actual, sha, StringComparison.OrdinalIgnoreCase))
            {
                stream.Close();
                File.Delete(partial);
                throw new ChecksumMismatchException(name, $"sha256 {actual} does not match the hub's {sha}");
            }
        }
        return size;
    }

    /// <summary>Worth another attempt: a dropped or stalled connection, or a server error — not a refusal, nor a cancel.</summary>
    static bool IsTransient(Exception e, CancellationToken cancellation) => !cancellation.IsCancellationRequested && e switch
    {
        HubException hub => hub.Error == HubError.Unavailable && hub.Status is null or >= 500,
        IOException or HttpRequestException or OperationCanceledException => true,
        _ => false,
    };
}
