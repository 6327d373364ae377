using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.Router.OpenAi;

/// <summary>
/// The Files API for batch input: <c>POST /v1/files</c> (multipart, purpose batch) stores the file line by line
/// as it streams in (never whole in memory); <c>GET /v1/files/{id}/content</c> gives an upload back, or a
/// batch's output or error file, built from the runs as it is read. A key sees only its own files.
/// </summary>
public static class FileEndpoints
{
    private const int LinesPerCopy = 5000;

    public static RouteGroupBuilder MapFileEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapPost("/files", Upload)
            .WithName("UploadFile").WithSummary("Upload a batch input file (JSON lines of {custom_id, method, url, body})")
            .Accepts<OpenAiUpload>("multipart/form-data").Produces<FileObject>().Produces<ErrorBody>(400).Produces<ErrorBody>(413);

        v1.MapGet("/files", async (HttpContext http, PlatformDbContext db, int? limit, string? after, CancellationToken ct) =>
        {
            var owner = Owner(http);
            var size = Math.Clamp(limit ?? 100, 1, 1000);
            var query = db.OpenAiFiles.AsNoTracking().Where(f => f.Submitter == owner);
            if (after is not null && await db.OpenAiFiles.AsNoTracking().Where(f => f.Id == after && f.Submitter == owner).Select(f => (DateTimeOffset?)f.CreatedAt).FirstOrDefaultAsync(ct) is { } at)
            {
                query = query.Where(f => f.CreatedAt < at || (f.CreatedAt == at && string.Compare(f.Id, after) < 0));
            }

            var rows = await query.OrderByDescending(f => f.CreatedAt).ThenByDescending(f => f.Id).Take(size + 1).ToListAsync(ct);
            var page = rows.Take(size).Select(Shape).ToList();
            return Results.Json(new ListOf<FileObject> { Data = page, FirstId = page.FirstOrDefault()?.Id, LastId = page.LastOrDefault()?.Id, HasMore = rows.Count > size });
        }).WithName("ListFiles").WithSummary("This key's uploaded files, newest first").Produces<ListOf<FileObject>>();

        v1.MapGet("/files/{id}", async (string id, HttpContext http, PlatformDbContext db, CancellationToken ct) =>
        {
            if (OpenAiIds.ParseResultFile(id) is { } result)
            {
                return await BatchFiles.Owned(db, result.Batch, Owner(http), ct) is { } batch
                    ? Results.Json(new FileObject
                    {
                        Id = id, CreatedAt = batch.CreatedAt.ToUnixTimeSeconds(), FileName = $"{OpenAiIds.Batch(batch.Id)}_{(result.Errors ? "errors" : "output")}.jsonl",
                        Purpose = "batch_output",
                    })
                    : NotFound(id);
            }

            return await db.OpenAiFiles.AsNoTracking().FirstOrDefaultAsync(f => f.Id == id && f.Submitter == Owner(http), ct) is { } file ? Results.Json(Shape(file)) : NotFound(id);
        }).WithName("GetFile").WithSummary("A file's metadata").Produces<FileObject>().Produces<ErrorBody>(404);

        v1.MapGet("/files/{id}/content", async (string id, HttpContext http, PlatformDbContext db, CancellationToken ct) =>
        {
            var owner = Owner(http);
            if (OpenAiIds.ParseResultFile(id) is { } result)
            {
                if (await BatchFiles.Owned(db, result.Batch, owner, ct) is not { } batch)
                {
                    return NotFound(id);
                }

                http.Response.ContentType = "application/jsonl";
                await BatchFiles.WriteResults(db, batch, result.Errors, http.Response.Body, ct);
                return Results.Empty;
            }

            if (!await db.OpenAiFiles.AnyAsync(f => f.Id == id && f.Submitter == owner, ct))
            {
                return NotFound(id);
            }

            http.Response.ContentType = "application/jsonl";
            var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false), 1 << 16);
            await using (writer)
            {
                await foreach (var line in Lines(db, id, ct))
                {
                    await writer.WriteAsync(line.Text);
                    await writer.WriteAsync('\n');
                }
            }

            return Results.Empty;
        }).WithName("GetFileContent").WithSummary("A file's content: an upload as sent (blank lines left out), or a batch's output or error file as JSON lines")
            .Produces<string>(StatusCodes.Status200OK, "application/jsonl").Produces<ErrorBody>(404);

        v1.MapDelete("/files/{id}", async (string id, HttpContext http, PlatformDbContext db, CancellationToken ct) =>
            await db.OpenAiFiles.Where(f => f.Id == id && f.Submitter == Owner(http)).ExecuteDeleteAsync(ct) > 0
                ? Results.Json(new FileDeleted { Id = id, Deleted = true })
                : NotFound(id))
            .WithName("DeleteFile").WithSummary("Delete an uploaded file").Produces<FileDeleted>().Produces<ErrorBody>(404);
        return v1;
    }

    /// <summary>The lines of an uploaded file in order, streamed from one query (PostgreSQL sends while the caller works; memory stays flat).</summary>
    public static async IAsyncEnumerable<OpenAiFileLine> Lines(PlatformDbContext db, string fileId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var line in db.OpenAiFileLines.AsNoTracking().Where(l => l.FileId == fileId).OrderBy(l => l.Line).AsAsyncEnumerable().WithCancellation(ct))
        {
            yield return line;
        }
    }

    public static string Owner(HttpContext http) => http.User.Identity?.Name ?? Platform.Reasoning.Scheduling.SubmitterNames.Anonymous;

    public static IResult NotFound(string id) => new OpenAiError(StatusCodes.Status404NotFound, $"no such file: {id}", "file_id", "file_not_found").Result();

    private static FileObject Shape(OpenAiFile f) => new() { Id = f.Id, Bytes = f.Bytes, CreatedAt = f.CreatedAt.ToUnixTimeSeconds(), FileName = f.FileName, Purpose = f.Purpose };

    /// <summary>
    /// Streams the multipart body section by section (the file is never buffered, in memory or on disk): the file's
    /// lines go to the database as they arrive, inside one transaction that commits only for a whole upload with
    /// purpose batch (which may come before or after the file).
    /// </summary>
    private static async Task<IResult> Upload(HttpRequest request, PlatformDbContext db, IOptions<RouterOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var boundary = request.ContentType is { } type && Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(type, out var media)
            && media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            ? Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(media.Boundary).Value : null;
        if (string.IsNullOrEmpty(boundary))
        {
            return OpenAiError.Invalid("file", "the upload must be multipart/form-data with a file and purpose=batch").Result();
        }

        var file = new OpenAiFile { Id = "file-" + NewId.NextGuid().ToString("N"), Purpose = "batch", Submitter = Owner(request.HttpContext), CreatedAt = clock.GetUtcNow() };
        string? purpose = null;
        var sawFile = false;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        try
        {
            var reader = new Microsoft.AspNetCore.WebUtilities.MultipartReader(boundary, request.Body);
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                var disposition = section.GetContentDispositionHeader();
                var name = disposition?.Name.Value?.Trim('"');
                if (name == "purpose")
                {
                    purpose = (await new StreamReader(section.Body).ReadToEndAsync(ct)).Trim();
                }
                else if (name == "file" && !sawFile)
                {
                    sawFile = true;
                    file.FileName = Truncate(Path.GetFileName(disposition!.FileName.Value?.Trim('"') ?? disposition.FileNameStar.Value ?? "file"), 256);
                    db.OpenAiFiles.Add(file);
                    await db.SaveChangesAsync(ct);
                    if (await StoreLines(db, file, section.Body, options.Value.MaxProblemsPerBatch, ct) is { } refused)
                    {
                        return refused.Result();
                    }
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new OpenAiError(e.StatusCode, $"the file is too large: the limit is {options.Value.MaxRequestBodyBytes} bytes (Router:MaxRequestBodyBytes)", "file", "request_too_large").Result();
        }
        catch (IOException e)
        {
            return OpenAiError.Invalid("file", $"the multipart body cannot be read: {e.Message}").Result();
        }

        if (purpose is not "batch")
        {
            return OpenAiError.Invalid("purpose", $"purpose must be batch: files are batch input here (was '{purpose}')", "unsupported_purpose").Result();
        }

        if (!sawFile)
        {
            return OpenAiError.Invalid("file", "a file field is required").Result();
        }

        await db.SaveChangesAsync(ct); // the line count and size
        await transaction.CommitAsync(ct);
        return Results.Json(Shape(file));
    }

    /// <summary>The file's non-empty lines, numbered from 1, copied 5,000 at a time; an error when there are more than the limit.</summary>
    private static async Task<OpenAiError?> StoreLines(PlatformDbContext db, OpenAiFile file, Stream body, int limit, CancellationToken ct)
    {
        var counted = new CountingStream(body);
        using var reader = new StreamReader(counted, new UTF8Encoding(false));
        var chunk = new List<OpenAiFileLine>(LinesPerCopy);
        var number = 0;
        while (await reader.ReadLineAsync(ct) is { } text)
        {
            number++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            if (++file.LineCount > limit)
            {
                return OpenAiError.Invalid("file", $"the file has more than {limit} request lines; the limit is {limit} (Router:MaxProblemsPerBatch)", "too_many_lines");
            }

            // A raw NUL cannot be stored (and is not JSON): kept visible, so the line is refused with a reason when the batch is validated.
            chunk.Add(new OpenAiFileLine { FileId = file.Id, Line = number, Text = text.Replace('\0', '\uFFFD') });
            if (chunk.Count == LinesPerCopy)
            {
                await db.InsertManyAsync(chunk, ct);
                chunk.Clear();
            }
        }

        await db.InsertManyAsync(chunk, ct);
        file.Bytes = counted.BytesRead;
        return null;
    }

    /// <summary>A read-only stream that counts the bytes read through it.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int n)
        {
            BytesRead += n;
            return n;
        }
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}

/// <summary>The multipart form of <c>POST /v1/files</c>, for the OpenAPI document.</summary>
public sealed record OpenAiUpload(string Purpose, IFormFile File);
