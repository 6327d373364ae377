using System.Text.Json;
using MassTransit;
using Platform.Contracts;
using Platform.Hosting;
using Platform.Reasoning.Controllers;

namespace Platform.Operations.Redrive;

/// <summary>
/// A round's request as the database stores it (JSON) and sends it again: to the Verifier's queue for a
/// scoring kind, to the Generator's for every other. The Aggregator's first send, its republish of a
/// running run, the stalled-run watchdog and <c>ttc chaos</c> all send through here.
/// </summary>
public static class RoundRequests
{
    /// <summary>How requests, plans and rounds are written as JSON (one setting for all of them).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Sends a request message as it is (no JSON round trip), to the queue of <paramref name="worker"/> when
    /// one is named (decision 0023), else to the shared queue of its type.
    /// </summary>
    public static async Task Send(ISendEndpointProvider send, IRoundRequest body, string? worker = null)
    {
        switch (body)
        {
            case GenerateCandidates generate:
                await (await send.GetSendEndpoint(WorkerQueues.Address(QueueNames.GenerateCandidates, worker))).Send(generate);
                break;
            case ScoreCandidates score:
                await (await send.GetSendEndpoint(WorkerQueues.Address(QueueNames.ScoreCandidates, worker))).Send(score);
                break;
            default:
                throw new ArgumentException($"a {body.GetType().Name} is not a round's request");
        }
    }

    public static async Task Resend(ISendEndpointProvider send, string kind, string json)
    {
        if (RequestKinds.IsScoring(kind))
        {
            var endpoint = await send.GetSendEndpoint(QueueNames.Address(QueueNames.ScoreCandidates));
            await endpoint.Send(JsonSerializer.Deserialize<ScoreCandidates>(json, Json)!);
        }
        else
        {
            var endpoint = await send.GetSendEndpoint(QueueNames.Address(QueueNames.GenerateCandidates));
            await endpoint.Send(JsonSerializer.Deserialize<GenerateCandidates>(json, Json)!);
        }
    }
}
