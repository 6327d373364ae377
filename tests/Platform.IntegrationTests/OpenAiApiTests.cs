using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Files;
using Platform.Reasoning.Scheduling;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

/// <summary>
/// The OpenAI-compatible API driven by the official OpenAI .NET library against the real stack (RabbitMQ,
/// PostgreSQL, the ONNX models): chat completions with test-time compute, streaming, models, the Files and
/// Batch APIs, OpenAI-shaped errors.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class OpenAiApiTests(Servers servers)
{
    private static OpenAIClient Client(PlatformHosts hosts, string key) =>
        new(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(hosts.Http.BaseAddress!, "v1"), NetworkTimeout = TimeSpan.FromMinutes(3) });

    private static HttpClient Raw(PlatformHosts hosts, string? key)
    {
        var http = new HttpClient { BaseAddress = hosts.Http.BaseAddress, Timeout = TimeSpan.FromMinutes(3) };
        if (key is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return http;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_chat_completion_runs_weighted_best_of_n_stores_its_run_and_reports_every_generated_token()
    {
        await using var hosts = await PlatformHosts.Start(servers);
        var key = await hosts.KeyFor("openai-chat");
        var client = Client(hosts, key);

        // The canonical model form: GENERATOR:STRATEGY@N.
        var result = await client.GetChatClient("gen-small:weighted-best-of-n@4").CompleteChatAsync([new UserChatMessage("72+46")]);
        var completion = result.Value;
        Assert.Equal("gen-small:weighted-best-of-n@4", completion.Model);
        Assert.Contains(completion.FinishReason, new[] { ChatFinishReason.Stop, ChatFinishReason.Length });
        var raw = JsonNode.Parse(result.GetRawResponse().Content.ToString())!;
        var ttc = raw["ttc_usage"]!;
        Assert.Equal("weighted-best-of-n", ttc["strategy"]!.GetValue<string>());
        Assert.Equal(4, ttc["samples"]!.GetValue<int>());
        Assert.True(ttc["scored_tokens"]!.GetValue<long>() > 0, "the verifier scored the samples");
        Assert.True(ttc["flops"]!.GetValue<double>() > 0);

        // Stored like any run: a batch of one named by the request id; the message is the selected sample; usage is the run's compute.
        await using (var db = hosts.NewContext())
        {
            var runId = Guid.Parse(ttc["run_id"]!.GetValue<string>());
            var run = await db.Runs.Include(r => r.Batch).SingleAsync(r => r.Id == runId);
            Assert.Equal(completion.Id, run.Batch!.Name);
            Assert.Equal("openai/v1/chat/completions", run.Batch.Source);
            Assert.Equal(RunStatus.Completed, run.Status);
            var samples = await db.Candidates.Where(c => c.RunId == runId).ToListAsync();
            Assert.Equal(4, samples.Count);
            Assert.Equal(samples.Single(c => c.Selected).Text, completion.Content[0].Text);
            Assert.Equal(run.GeneratedTokens, completion.Usage.OutputTokenCount);
            Assert.Equal(samples.Sum(c => c.TokenCount), completion.Usage.OutputTokenCount); // every token of every sample
            Assert.Equal(run.PromptTokens + run.CachedPromptTokens, completion.Usage.InputTokenCount); // computed and cached, as OpenAI counts them
            Assert.Equal(run.CachedPromptTokens, completion.Usage.InputTokenDetails.CachedTokenCount);
        }

        // Without a strategy, n > 1 is n plain samples, each a choice (as OpenAI does).
        var http = Raw(hosts, key);
        var plain = await http.PostAsync("/v1/chat/completions", Json("""{"model":"gen-small","messages":[{"role":"user","content":"31+45"}],"n":3,"temperature":0.9,"max_tokens":64}"""));
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        var body = (await plain.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(3, body["choices"]!.AsArray().Count);
        Assert.Equal([0, 1, 2], body["choices"]!.AsArray().Select(c => c!["index"]!.GetValue<int>()));
        Assert.Equal("self-consistency", body["ttc_usage"]!["strategy"]!.GetValue<string>());
        Assert.Equal(body["usage"]!["completion_tokens"]!.GetValue<long>(), body["ttc_usage"]!["generated_tokens"]!.GetValue<long>());

        // A real-format chat model: the conversation is rendered with its chat template; ttc carries the batch API's settings.
        var options = new ChatCompletionOptions();
#pragma warning disable SCME0001 // JsonPatch is how the OpenAI library sends a field of its own (here ttc)
        options.Patch.Set("$.ttc"u8, BinaryData.FromString("""{"strategy":"best-of-n","n":2,"verifier":"prm"}"""));
#pragma warning restore SCME0001
        var templated = await client.GetChatClient("hf-arith").CompleteChatAsync(
            [new UserChatMessage("2+3"), new AssistantChatMessage("2+3=5\nA: 5"), new UserChatMessage("12+30")], options);
        var templatedTtc = JsonNode.Parse(templated.GetRawResponse().Content.ToString())!["ttc_usage"]!;
        Assert.Equal("best-of-n", templatedTtc["strategy"]!.GetValue<string>());
        Assert.Equal(2, templatedTtc["samples"]!.GetValue<int>());
        await using (var db = hosts.NewContext())
        {
            var runId = Guid.Parse(templatedTtc["run_id"]!.GetValue<string>());
            var round = await db.RunRounds.Where(r => r.RunId == runId && r.Index == 0).SingleAsync();
            var turns = JsonNode.Parse(round.RequestJson!)!["conversation"]!.AsArray();
            Assert.Equal(["user:2+3", "assistant:2+3=5\nA: 5"], turns.Select(t => $"{t!["role"]}:{t["content"]}"));
            var problemId = (await db.Runs.SingleAsync(r => r.Id == runId)).ProblemId;
            Assert.Equal("12+30", (await db.Problems.SingleAsync(p => p.Id == problemId)).Text); // the last user turn is the problem
        }
    }

    [Fact]
    public async Task A_streamed_completion_the_models_and_every_error_answer_as_OpenAI_does()
    {
        await using var hosts = await PlatformHosts.Start(servers);
        var key = await hosts.KeyFor("openai-stream");
        var client = Client(hosts, key);

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        string? id = null;
        await foreach (var update in client.GetChatClient("gen-small:best-of-n@3").CompleteChatStreamingAsync([new UserChatMessage("55+17")]))
        {
            id ??= update.CompletionId;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage = update.Usage ?? usage;
            finish = update.FinishReason ?? finish;
        }

        Assert.NotNull(finish);
        Assert.NotNull(usage);
        await using (var db = hosts.NewContext())
        {
            var run = await db.Runs.Include(r => r.Batch).SingleAsync(r => r.Batch!.Name == id);
            Assert.Equal((await db.Candidates.SingleAsync(c => c.RunId == run.Id && c.Selected)).Text, text.ToString());
            Assert.Equal(run.GeneratedTokens, usage!.OutputTokenCount);
            Assert.Equal(PriorityClasses.Batch, run.Batch!.Priority); // this key may not submit interactive work: batch, not refused
        }

        var models = (await client.GetOpenAIModelClient().GetModelsAsync()).Value;
        Assert.Contains(models, m => m.Id == "gen-small");
        Assert.Contains(models, m => m.Id == "prm");
        var listing = (await Raw(hosts, key).GetFromJsonAsync<JsonObject>("/v1/models"))!["data"]!.AsArray();
        Assert.Equal("verifier", listing.Single(m => m!["id"]!.GetValue<string>() == "prm")!["ttc_kind"]!.GetValue<string>());
        Assert.True(listing.Single(m => m!["id"]!.GetValue<string>() == "hf-arith")!["ttc_chat_template"]!.GetValue<bool>());

        // A raw prompt: a text completion.
        var raw = await Raw(hosts, key).PostAsync("/v1/completions", Json("""{"model":"gen-small:greedy","prompt":"Q: 72+46\n"}"""));
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        var rawBody = (await raw.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("text_completion", rawBody["object"]!.GetValue<string>());
        Assert.NotNull(rawBody["choices"]![0]!["text"]);

        // Errors: OpenAI's body {error: {message, type, param, code}}, naming the parameter.
        async Task Expect(HttpStatusCode status, string type, string? param, HttpResponseMessage response)
        {
            Assert.Equal(status, response.StatusCode);
            var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;
            Assert.Equal(type, error["type"]!.GetValue<string>());
            Assert.Equal(param, error["param"]?.GetValue<string>());
            Assert.False(string.IsNullOrWhiteSpace(error["message"]!.GetValue<string>()));
        }

        var http = Raw(hosts, key);
        await Expect(HttpStatusCode.Unauthorized, "authentication_error", null, await Raw(hosts, null).GetAsync("/v1/models"));
        await Expect(HttpStatusCode.BadRequest, "invalid_request_error", "tools",
            await http.PostAsync("/v1/chat/completions", Json("""{"model":"gen-small","messages":[{"role":"user","content":"1+1"}],"tools":[{"type":"function","function":{"name":"f"}}]}""")));
        await Expect(HttpStatusCode.BadRequest, "invalid_request_error", "ttc.bogus",
            await http.PostAsync("/v1/chat/completions", Json("""{"model":"gen-small","messages":[{"role":"user","content":"1+1"}],"ttc":{"bogus":1}}""")));
        await Expect(HttpStatusCode.BadRequest, "invalid_request_error", "ttc.strategy",
            await http.PostAsync("/v1/chat/completions", Json("""{"model":"gen-small","messages":[{"role":"user","content":"1+1"}],"ttc":{"strategy":"telepathy"}}""")));
        await Expect(HttpStatusCode.BadRequest, "invalid_request_error", "messages[1].role",
            await http.PostAsync("/v1/chat/completions", Json("""{"model":"gen-small","messages":[{"role":"user","content":"1+1"},{"role":"assistant","content":"2"}]}""")));
        await Expect(HttpStatusCode.BadRequest, "invalid_request_error", "messages",
            await http.PostAsync("/v1/chat/completions", Json("""{"model":"gen-small","messages":[{"role":"user","content":"1+1"},{"role":"assistant","content":"2"},{"role":"user","content":"3+3"}]}""")));
        await Expect(HttpStatusCode.BadRequest, "invalid_request_error", "max_tokens",
            await http.PostAsync("/v1/chat/completions", Json("""{"model":"gen-small","messages":[{"role":"user","content":"1+1"}],"max_tokens":1000000}""")));
        // Described in the OpenAPI document with the rest.
        var paths = (await http.GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!["paths"]!.AsObject();
        Assert.All(new[] { "/v1/chat/completions", "/v1/completions", "/v1/models", "/v1/files", "/v1/files/{id}/content", "/v1/batches", "/v1/batches/{id}/cancel" },
            path => Assert.True(paths.ContainsKey(path), path));

        var unknown = await Assert.ThrowsAsync<ClientResultException>(() => client.GetChatClient("no-such-model").CompleteChatAsync([new UserChatMessage("1+1")]));
        Assert.Equal(404, unknown.Status);
    }

    [Fact]
    public async Task An_uploaded_batch_file_runs_its_valid_lines_reports_the_bad_ones_and_a_batch_can_be_cancelled()
    {
        await using var hosts = await PlatformHosts.Start(servers, leastPrivilege: true); // the Router as its own role: its grants cover the API's tables
        var key = await hosts.KeyFor("openai-batch");
        var client = Client(hosts, key);
#pragma warning disable OPENAI001 // the Batch API's client is marked for evaluation by the OpenAI library
        var batches = client.GetBatchClient();
        var files = client.GetOpenAIFileClient();

        static string Line(string id, string content, string model = "gen-small:weighted-best-of-n@2") =>
            $$$"""{"custom_id":"{{{id}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"{{{model}}}","messages":[{"role":"user","content":"{{{content}}}"}]}}""";
        var lines = new[]
        {
            Line("a", "72+46"), Line("b", "31+45"), "{ not json", Line("c", "9*8"), Line("d", "3+4", "gen-large:weighted-best-of-n@2"), Line("e", "50-7"),
            """{"custom_id":"f","method":"POST","url":"/v1/chat/completions","body":{"model":"gen-small:weighted-best-of-n@2","messages":[{"role":"system","content":"x"}]}}""",
        };
        var upload = (await files.UploadFileAsync(BinaryData.FromString(string.Join("\n", lines) + "\n"), "input.jsonl", FileUploadPurpose.Batch)).Value;
        Assert.Equal("input.jsonl", upload.Filename);

        var operation = await batches.CreateBatchAsync(BinaryContent.Create(BinaryData.FromString(
            $$$"""{"input_file_id":"{{{upload.Id}}}","endpoint":"/v1/chat/completions","completion_window":"24h","metadata":{"purpose":"test"}}""")), waitUntilCompleted: false);
        JsonNode batch;
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            batch = JsonNode.Parse((await operation.GetBatchAsync(null)).GetRawResponse().Content.ToString())!;
            if (batch["status"]!.GetValue<string>() is "completed" or "failed" or "cancelled")
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the batch is still {batch["status"]}");
            await Task.Delay(250);
        }

        Assert.Equal("completed", batch["status"]!.GetValue<string>());
        Assert.Equal(7, batch["request_counts"]!["total"]!.GetValue<int>());
        Assert.Equal(4, batch["request_counts"]!["completed"]!.GetValue<int>());
        Assert.Equal(3, batch["request_counts"]!["failed"]!.GetValue<int>());
        Assert.Equal("test", batch["metadata"]!["purpose"]!.GetValue<string>());

        var output = (await files.DownloadFileAsync(batch["output_file_id"]!.GetValue<string>())).Value.ToString()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(["a", "b", "c", "e"], output.Select(o => o["custom_id"]!.GetValue<string>()));
        Assert.All(output, o =>
        {
            Assert.Equal(200, o["response"]!["status_code"]!.GetValue<int>());
            Assert.Equal("chat.completion", o["response"]!["body"]!["object"]!.GetValue<string>());
            Assert.Equal("weighted-best-of-n", o["response"]!["body"]!["ttc_usage"]!["strategy"]!.GetValue<string>());
        });

        var errors = (await files.DownloadFileAsync(batch["error_file_id"]!.GetValue<string>())).Value.ToString()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal([3, 5, 7], errors.Select(e => e["error"]!["line"]!.GetValue<int>()));
        Assert.Equal("invalid_json", errors[0]["error"]!["code"]!.GetValue<string>());
        Assert.Equal("mismatched_settings", errors[1]["error"]!["code"]!.GetValue<string>());
        Assert.Equal("body.messages[0].role", errors[2]["error"]!["param"]!.GetValue<string>());

        // A larger batch, cancelled once it runs: it ends cancelled, its unfinished requests in the error file.
        var many = string.Join("\n", Enumerable.Range(0, 200).Select(i => Line($"m{i}", $"{i}+{i * 7 % 97}", "gen-small:weighted-best-of-n@16")));
        var big = (await files.UploadFileAsync(BinaryData.FromString(many), "many.jsonl", FileUploadPurpose.Batch)).Value;
        var second = await batches.CreateBatchAsync(BinaryContent.Create(BinaryData.FromString(
            $$$"""{"input_file_id":"{{{big.Id}}}","endpoint":"/v1/chat/completions","completion_window":"24h"}""")), waitUntilCompleted: false);
        var id = Guid.ParseExact(second.BatchId["batch_".Length..], "N");
        await hosts.BatchWhen(id, _ => true); // stored by the Router: in progress
        await using (var db = hosts.NewContext())
        {
            var until = DateTime.UtcNow.AddMinutes(1);
            while (await db.Runs.CountAsync(r => r.BatchId == id) < 200)
            {
                Assert.True(DateTime.UtcNow < until, "the Router stored the batch's runs");
                await Task.Delay(50);
            }
        }

        var cancelled = JsonNode.Parse((await second.CancelAsync(null)).GetRawResponse().Content.ToString())!;
        Assert.Equal("cancelled", cancelled["status"]!.GetValue<string>());
        await hosts.BatchEnded(id);
        var after = JsonNode.Parse((await batches.GetBatchAsync(second.BatchId, null)).GetRawResponse().Content.ToString())!;
        Assert.True(after["request_counts"]!["failed"]!.GetValue<int>() > 0);
        var cancelledLines = (await files.DownloadFileAsync(after["error_file_id"]!.GetValue<string>())).Value.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(after["request_counts"]!["failed"]!.GetValue<int>(), cancelledLines.Length);
        Assert.All(cancelledLines, l => Assert.Equal("cancelled", JsonNode.Parse(l)!["error"]!["code"]!.GetValue<string>()));

        // A file with no line that can run: the batch fails, its errors listed on the batch itself.
        var bad = (await files.UploadFileAsync(BinaryData.FromString("{ nope\n" + Line("x", "1+1", "no-such-model:best-of-n@2") + "\n"), "bad.jsonl", FileUploadPurpose.Batch)).Value;
        var third = await batches.CreateBatchAsync(BinaryContent.Create(BinaryData.FromString(
            $$$"""{"input_file_id":"{{{bad.Id}}}","endpoint":"/v1/chat/completions","completion_window":"24h"}""")), waitUntilCompleted: false);
        JsonNode failed;
        var validatedBy = DateTime.UtcNow.AddMinutes(1);
        while ((failed = JsonNode.Parse((await third.GetBatchAsync(null)).GetRawResponse().Content.ToString())!)["status"]!.GetValue<string>() == "validating")
        {
            Assert.True(DateTime.UtcNow < validatedBy, "the batch was validated");
            await Task.Delay(100);
        }

        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        Assert.Equal(["invalid_json", "model_not_found"], failed["errors"]!["data"]!.AsArray().Select(e => e!["code"]!.GetValue<string>()));

        // Listing: newest first, this key's only.
        var listed = new List<string>();
        await foreach (var job in batches.GetBatchesAsync(new OpenAI.Batch.BatchCollectionOptions()))
        {
            listed.Add(job.Id);
        }

        Assert.Equal([third.BatchId, second.BatchId, operation.BatchId], listed);
        var other = Client(hosts, await hosts.KeyFor("someone-else"));
        var hidden = await Assert.ThrowsAsync<ClientResultException>(() => other.GetBatchClient().GetBatchAsync(second.BatchId, null));
        Assert.Equal(404, hidden.Status);
#pragma warning restore OPENAI001
    }
}
