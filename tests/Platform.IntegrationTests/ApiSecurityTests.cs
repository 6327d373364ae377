using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using NJsonSchema;
using Platform.Storage;

namespace Platform.IntegrationTests;

/// <summary>The HTTP API's door: keys, revocation, rate and size limits, RFC 7807 bodies, and the OpenAPI document that describes them.</summary>
[Collection(ServersCollection.Name)]
public sealed class ApiSecurityTests(Servers servers)
{
    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private static HttpRequestMessage Get(string path, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return request;
    }

    [Fact]
    public async Task Every_endpoint_but_health_needs_an_active_key_and_every_limit_answers_with_its_status_and_a_problem_body()
    {
        await using var hosts = await PlatformHosts.Start(servers, new Dictionary<string, string?>
        {
            ["Router:RequestsPerMinutePerKey"] = "8", ["Router:MaxRequestBodyBytes"] = "20000",
        });
        var anonymous = new HttpClient { BaseAddress = hosts.Http.BaseAddress };
        string active, revoked;
        await using (var db = hosts.NewContext())
        {
            active = (await ApiKeys.Create(db, "active", DateTimeOffset.UtcNow, default)).Key;
            revoked = (await ApiKeys.Create(db, "revoked", DateTimeOffset.UtcNow, default)).Key;
            Assert.True(await ApiKeys.Revoke(db, "revoked", DateTimeOffset.UtcNow, default));
            Assert.DoesNotContain(await ApiKeys.List(db, default), k => k.KeyHash == active); // only the hash is stored
        }

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);

        async Task Expect(HttpStatusCode status, HttpResponseMessage response)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        }

        await Expect(HttpStatusCode.Unauthorized, await anonymous.SendAsync(Get("/batches", null)));
        await Expect(HttpStatusCode.Unauthorized, await anonymous.SendAsync(Get("/batches", "ttc_not-a-key")));
        await Expect(HttpStatusCode.Forbidden, await anonymous.SendAsync(Get("/batches", revoked)));
        Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(Get("/batches", active))).StatusCode);

        // A body over the limit: 413, before it is read in full.
        var big = new HttpRequestMessage(HttpMethod.Post, "/batches") { Content = Body($$"""{"problems":[{"text":"{{new string('1', 30_000)}}"}]}""") };
        big.Headers.Authorization = new AuthenticationHeaderValue("Bearer", active);
        await Expect(HttpStatusCode.RequestEntityTooLarge, await anonymous.SendAsync(big));

        // The rate limit is per key: "active" runs out (8 a minute), another key does not.
        HttpResponseMessage last = new();
        for (var i = 0; i < 10; i++)
        {
            last = await anonymous.SendAsync(Get("/batches", active));
        }

        await Expect(HttpStatusCode.TooManyRequests, last);
        Assert.Equal(HttpStatusCode.OK, (await hosts.Http.GetAsync("/batches")).StatusCode);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_requests_responses_and_errors_and_real_bodies_validate_against_it()
    {
        await using var hosts = await PlatformHosts.Start(servers);
        var document = (await hosts.Http.GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!;
        Assert.Equal("http", document["components"]!["securitySchemes"]!["bearer"]!["type"]!.GetValue<string>());

        // One schema per reference, with every component schema beside it as a definition.
        var components = document["components"]!["schemas"]!.AsObject();
        async Task<JsonSchema> Schema(JsonNode node)
        {
            var definitions = JsonNode.Parse(components.ToJsonString().Replace("#/components/schemas/", "#/definitions/", StringComparison.Ordinal))!;
            var root = JsonNode.Parse(node.ToJsonString().Replace("#/components/schemas/", "#/definitions/", StringComparison.Ordinal))!.AsObject();
            root["definitions"] = definitions;
            return await JsonSchema.FromJsonAsync(root.ToJsonString());
        }

        JsonNode Response(string path, string method, int status, string media = "application/json") =>
            document["paths"]![path]![method]!["responses"]![status.ToString()]!["content"]![media]!["schema"]!;

        async Task Valid(JsonNode schema, string json)
        {
            var errors = (await Schema(schema)).Validate(json);
            Assert.True(errors.Count == 0, $"{json}\nagainst {schema.ToJsonString()}:\n{string.Join("\n", errors.Select(e => $"{e.Path}: {e.Kind}"))}");
        }

        // A real request body and its 202.
        var request = """{"name":"doc","strategy":"greedy","problems":[{"text":"2+3","referenceAnswer":"5"}]}""";
        await Valid(document["paths"]!["/batches"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!, request);
        var accepted = await hosts.Http.PostAsync("/batches", Body(request));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await Valid(Response("/batches", "post", 202), await accepted.Content.ReadAsStringAsync());

        // Each error body against the schema the document gives for it.
        var invalid = await hosts.Http.PostAsync("/batches", Body("""{"problems":[{"text":"2+3","answer":"5"}]}"""));
        await Valid(Response("/batches", "post", 400, "application/problem+json"), await invalid.Content.ReadAsStringAsync());
        var missing = await hosts.Http.GetAsync($"/batches/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await Valid(Response("/batches/{id}", "get", 404, "application/problem+json"), await missing.Content.ReadAsStringAsync());
        var anonymous = new HttpClient { BaseAddress = hosts.Http.BaseAddress };
        var unauthorized = await anonymous.GetAsync("/batches");
        await Valid(Response("/batches", "get", 401, "application/problem+json"), await unauthorized.Content.ReadAsStringAsync());
        var list = await hosts.Http.GetAsync("/batches");
        await Valid(Response("/batches", "get", 200), await list.Content.ReadAsStringAsync());
    }
}
