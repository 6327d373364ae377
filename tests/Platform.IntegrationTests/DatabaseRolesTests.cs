using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Platform.Storage;

namespace Platform.IntegrationTests;

/// <summary>Least privilege in PostgreSQL: services cannot run DDL, analysts write nothing and see no key hashes, and the pipeline runs on these grants.</summary>
[Collection(ServersCollection.Name)]
public sealed class DatabaseRolesTests(Servers servers)
{
    private static async Task<string?> Try(string connection, string sql)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        try
        {
            await using var command = new NpgsqlCommand(sql, c);
            await command.ExecuteNonQueryAsync();
            return null;
        }
        catch (PostgresException e)
        {
            return e.SqlState; // 42501: insufficient privilege
        }
    }

    [Fact]
    public async Task Each_role_has_only_its_grants_and_the_pipeline_runs_on_them()
    {
        await using var hosts = await PlatformHosts.Start(servers, leastPrivilege: true);
        var analystPassword = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var analystUser = $"analyst_{Guid.NewGuid():N}"[..24];
        await DatabaseRoles.CreateUser(hosts.ConnectionString, analystUser, analystPassword, "analyst", default);
        var analyst = new NpgsqlConnectionStringBuilder(hosts.ConnectionString) { Username = analystUser, Password = analystPassword }.ConnectionString;
        const string denied = "42501";

        // The services run a batch (over HTTP, with a key the Router reads as its own user).
        var response = await hosts.Http.PostAsJsonAsync("/batches", new { strategy = "weighted-best-of-n", n = 4, problems = PipelineTests.HeldOut(3).Select(p => new { text = p.Text, referenceAnswer = p.ReferenceAnswer }) });
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["batchId"]!.GetValue<Guid>();
        await hosts.Observed.WaitFor(() => hosts.Observed.BatchesCompleted, b => b.BatchId == id, TimeSpan.FromMinutes(3));
        var results = await hosts.Http.GetFromJsonAsync<JsonObject>($"/batches/{id}/results");
        Assert.Equal(3, results!["items"]!.AsArray().Count);

        // No service role runs DDL, in the platform's schema or in public.
        foreach (var login in hosts.Logins.Values.Append(analyst))
        {
            Assert.Equal(denied, await Try(login, "CREATE TABLE ttc.intruder (i int)"));
            Assert.Equal(denied, await Try(login, "CREATE TABLE public.intruder (i int)"));
            Assert.Equal(denied, await Try(login, "DROP TABLE ttc.batches"));
            Assert.Equal(denied, await Try(login, "ALTER TABLE ttc.runs ADD COLUMN x int"));
        }

        // Each service only what it does: the Aggregator never deletes nor reads keys; the Router never writes scores.
        Assert.Equal(denied, await Try(hosts.Logins["aggregator"], "DELETE FROM ttc.batches"));
        Assert.Equal(denied, await Try(hosts.Logins["aggregator"], "SELECT * FROM ttc.api_keys"));
        Assert.Equal(denied, await Try(hosts.Logins["router"], "INSERT INTO ttc.step_scores (id, candidate_id, step_index, score, model) VALUES (gen_random_uuid(), gen_random_uuid(), 0, 0.5, 'x')"));
        Assert.Null(await Try(hosts.Logins["router"], "SELECT count(*) FROM ttc.api_keys"));

        // The analyst reads results and the views, writes nothing, and cannot see key hashes.
        Assert.Null(await Try(analyst, "SELECT * FROM ttc.run_results"));
        Assert.Null(await Try(analyst, "SELECT * FROM ttc.batch_compute"));
        Assert.Null(await Try(analyst, "SELECT * FROM ttc.accuracy_by_strategy"));
        Assert.Null(await Try(analyst, "SELECT answer, correct, generated_tokens FROM ttc.runs"));
        Assert.Equal(denied, await Try(analyst, "SELECT key_hash FROM ttc.api_keys"));
        Assert.Equal(denied, await Try(analyst, "UPDATE ttc.runs SET answer = 'x'"));
        Assert.Equal(denied, await Try(analyst, "INSERT INTO ttc.api_keys (id, name, key_hash, prefix, revoked, created_at) VALUES (gen_random_uuid(), 'x', 'x', 'x', false, now())"));
        Assert.Equal(denied, await Try(analyst, "DELETE FROM ttc.compute_usage"));

        // Every query of docs/analyst-queries.md runs as the analyst, and the scaling views have the batch in them.
        var doc = await File.ReadAllTextAsync(Repository.Path("docs/analyst-queries.md"));
        var statements = System.Text.RegularExpressions.Regex.Matches(doc, "```sql\n(.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline)
            .SelectMany(m => m.Groups[1].Value.Split(';')).Select(q => q.Trim())
            .Where(q => q.Split('\n').Any(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith("--", StringComparison.Ordinal))).ToList();
        Assert.True(statements.Count >= 8, $"only {statements.Count} queries found in docs/analyst-queries.md");
        foreach (var statement in statements)
        {
            Assert.True(await Try(analyst, statement) is null, $"as ttc_analyst: {statement}");
        }

        await using var c = new NpgsqlConnection(analyst);
        await c.OpenAsync();
        await using var curve = new NpgsqlCommand("SELECT runs FROM ttc.scaling_curve WHERE strategy = 'weighted-best-of-n' AND budget = 4", c);
        Assert.Equal(3L, await curve.ExecuteScalarAsync());
        await using var bins = new NpgsqlCommand("SELECT sum(runs) FROM ttc.accuracy_by_difficulty WHERE difficulty_source = 'heuristic'", c);
        Assert.Equal(3m, await bins.ExecuteScalarAsync());
    }
}
