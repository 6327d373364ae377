using System.Text;
using MassTransit;
using Platform.Contracts;

namespace Platform.Hosting;

/// <summary>
/// Cuts a batch into <see cref="SubmitBatch"/> parts small enough for the broker (each under
/// <see cref="MaxPartBytes"/> of problem data, so every message stays well under 1 MB); each part
/// carries its offset in the batch and the batch's problem count. A small batch is one part.
/// </summary>
public static class BatchParts
{
    public const int MaxPartBytes = 512 * 1024;

    /// <summary>Sends a batch to the Routers' submission queue, in parts: the one way the API, the CLI and the sweep job submit.</summary>
    public static async Task Send(ISendEndpointProvider send, SubmitBatch batch, CancellationToken ct)
    {
        var endpoint = await send.GetSendEndpoint(QueueNames.Address(QueueNames.SubmitBatch));
        foreach (var part in Split(batch))
        {
            await endpoint.Send(part, ct);
        }
    }

    public static IReadOnlyList<SubmitBatch> Split(SubmitBatch batch, int maxPartBytes = MaxPartBytes)
    {
        var parts = new List<SubmitBatch>();
        var start = 0;
        var bytes = 0;
        for (var i = 0; i < batch.Problems.Count; i++)
        {
            var size = Size(batch.Problems[i]);
            if (i > start && bytes + size > maxPartBytes)
            {
                parts.Add(Part(batch, start, i - start));
                (start, bytes) = (i, 0);
            }

            bytes += size;
        }

        parts.Add(Part(batch, start, batch.Problems.Count - start));
        return parts.Count == 1 ? [batch] : parts;
    }

    private static SubmitBatch Part(SubmitBatch batch, int offset, int count) => batch with
    {
        Problems = batch.Problems.Skip(offset).Take(count).ToList(), Offset = offset, TotalProblems = batch.Problems.Count,
    };

    /// <summary>JSON size of a problem, closely enough: its strings (escaping can double them) and the field names.</summary>
    private static int Size(ProblemSubmission p) =>
        120 + 2 * (Encoding.UTF8.GetByteCount(p.Text ?? "") + Encoding.UTF8.GetByteCount(p.ReferenceAnswer ?? "") + Encoding.UTF8.GetByteCount(p.Level ?? "")
            + Encoding.UTF8.GetByteCount(p.Subject ?? "") + Encoding.UTF8.GetByteCount(p.ExternalId ?? "")
            + (p.Conversation ?? []).Sum(m => 30 + Encoding.UTF8.GetByteCount(m?.Content ?? "")));
}
