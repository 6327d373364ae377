namespace Platform.Storage;

/// <summary>
/// Least privilege in PostgreSQL. Group roles (NOLOGIN), created by a migration, carry the grants;
/// login users made with <c>ttc db user create</c> join one of them. No service role owns a table or
/// may run DDL (migrations run as the owner, as their own step). The analyst reads results and the
/// analyst views, writes nothing, and cannot read API key hashes.
/// </summary>
public static class DatabaseRoles
{
    public const string Router = "ttc_router";
    public const string Aggregator = "ttc_aggregator";
    public const string Analyst = "ttc_analyst";

    public static readonly IReadOnlyDictionary<string, string> ByService = new Dictionary<string, string>
    {
        ["router"] = Router, ["aggregator"] = Aggregator, ["analyst"] = Analyst,
    };

    public const string Create = """
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ttc_router') THEN CREATE ROLE ttc_router NOLOGIN; END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ttc_aggregator') THEN CREATE ROLE ttc_aggregator NOLOGIN; END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ttc_analyst') THEN CREATE ROLE ttc_analyst NOLOGIN; END IF;

            -- Nothing by default: each role gets what its service does, table by table.
            REVOKE ALL ON ALL TABLES IN SCHEMA ttc FROM ttc_router, ttc_aggregator, ttc_analyst;
            ALTER DEFAULT PRIVILEGES IN SCHEMA ttc REVOKE ALL ON TABLES FROM ttc_analyst;
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'ttc_writer') THEN
                -- The broad writer role of the first schema is retired: every table by default was too much.
                ALTER DEFAULT PRIVILEGES IN SCHEMA ttc REVOKE ALL ON TABLES FROM ttc_writer;
                REVOKE ALL ON ALL TABLES IN SCHEMA ttc FROM ttc_writer;
            END IF;
            REVOKE CREATE ON SCHEMA ttc FROM PUBLIC;
            REVOKE CREATE ON SCHEMA public FROM PUBLIC;
            GRANT USAGE ON SCHEMA ttc TO ttc_router, ttc_aggregator, ttc_analyst;

            -- The Router stores batches, problems and planned runs, cancels, reads keys and policies.
            GRANT SELECT, INSERT, UPDATE ON ttc.batches, ttc.problems, ttc.runs TO ttc_router;
            GRANT SELECT ON ttc.api_keys, ttc.policies, ttc.sweeps, ttc.compute_usage TO ttc_router;

            -- The Aggregator drives runs: rounds, candidates, scores, usage; counts and completes batches.
            GRANT SELECT, UPDATE ON ttc.batches, ttc.runs TO ttc_aggregator;
            GRANT SELECT ON ttc.problems TO ttc_aggregator;
            GRANT SELECT, INSERT, UPDATE ON ttc.run_rounds, ttc.candidates TO ttc_aggregator;
            GRANT SELECT, INSERT ON ttc.step_scores, ttc.compute_usage TO ttc_aggregator;

            -- Analysts read everything but key hashes, and the views.
            GRANT SELECT ON ttc.batches, ttc.problems, ttc.runs, ttc.run_rounds, ttc.candidates, ttc.step_scores, ttc.compute_usage,
                ttc.policies, ttc.sweeps, ttc.run_results, ttc.batch_compute, ttc.accuracy_by_strategy TO ttc_analyst;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'roles ttc_router / ttc_aggregator / ttc_analyst not set up: the migrating user lacks the privilege';
        END
        $$;
        """;

    /// <summary>Creates (or updates) login user <paramref name="user"/> in the group role of <paramref name="service"/> (router, aggregator, analyst).</summary>
    public static async Task CreateUser(string ownerConnection, string user, string password, string service, CancellationToken ct)
    {
        if (!ByService.TryGetValue(service, out var group))
        {
            throw new ArgumentException($"the role must be one of {string.Join(", ", ByService.Keys)} (was '{service}')");
        }

        await using var connection = new Npgsql.NpgsqlConnection(ownerConnection);
        await connection.OpenAsync(ct);
        await using var build = new Npgsql.NpgsqlCommand(UserStatement, connection);
        build.Parameters.AddWithValue("user", user);
        build.Parameters.AddWithValue("password", password);
        build.Parameters.AddWithValue("group", group);
        var statement = (string)(await build.ExecuteScalarAsync(ct))!;
        await using var run = new Npgsql.NpgsqlCommand(statement, connection);
        await run.ExecuteNonQueryAsync(ct);
    }

    public const string Drop = """
        DO $$
        BEGIN
            REVOKE ALL ON ALL TABLES IN SCHEMA ttc FROM ttc_router, ttc_aggregator;
        EXCEPTION WHEN undefined_object OR insufficient_privilege THEN NULL;
        END
        $$;
        """;

    /// <summary>
    /// SQL that returns the statement creating (or updating) a login user in a group role, with the name
    /// and password quoted by PostgreSQL itself (utility statements take no parameters).
    /// </summary>
    public const string UserStatement = """
        SELECT CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = @user)
                    THEN format('ALTER ROLE %I LOGIN PASSWORD %L', @user, @password) || format('; GRANT %I TO %I', @group, @user)
                    ELSE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', @user, @password, @group) END
        """;
}
