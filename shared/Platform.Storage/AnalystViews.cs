namespace Platform.Storage;

/// <summary>
/// Views analysts query with plain SQL (PostgreSQL), created by a migration: one row per run with
/// its compute, totals per batch, and accuracy by strategy x budget x difficulty (the scaling curve).
/// Roles: <c>ttc_writer</c> (the services) and the read-only <c>ttc_analyst</c>.
/// </summary>
public static class AnalystViews
{
    public const string Create = """
        CREATE VIEW ttc.run_results AS
        SELECT r.id AS run_id, r.batch_id, p.index AS problem_index, p.external_id, p.level, p.subject,
               r.strategy, r.n, r.difficulty_bin, r.difficulty_score, r.difficulty_source, r.status,
               r.answer, p.reference_answer, r.correct, r.failure_reason,
               COALESCE(u.requests, 0) AS requests,
               COALESCE(u.prompt_tokens, 0) AS prompt_tokens,
               COALESCE(u.cached_prompt_tokens, 0) AS cached_prompt_tokens,
               COALESCE(u.generated_tokens, 0) AS generated_tokens,
               COALESCE(u.scored_tokens, 0) AS scored_tokens,
               COALESCE(u.cached_scored_tokens, 0) AS cached_scored_tokens,
               COALESCE(u.flops, 0) AS flops,
               COALESCE(u.device_milliseconds, 0) AS device_milliseconds,
               r.created_at, r.completed_at
        FROM ttc.runs r
        JOIN ttc.problems p ON p.id = r.problem_id
        LEFT JOIN (
            SELECT run_id, count(*) AS requests, sum(prompt_tokens) AS prompt_tokens,
                   sum(cached_prompt_tokens) AS cached_prompt_tokens, sum(generated_tokens) AS generated_tokens,
                   sum(scored_tokens) AS scored_tokens, sum(cached_scored_tokens) AS cached_scored_tokens, sum(flops) AS flops, sum(device_milliseconds) AS device_milliseconds
            FROM ttc.compute_usage GROUP BY run_id
        ) u ON u.run_id = r.id;

        CREATE VIEW ttc.batch_compute AS
        SELECT b.id AS batch_id, b.name, b.status, b.problem_count,
               count(rr.run_id) AS runs,
               count(*) FILTER (WHERE rr.status = 'completed') AS completed,
               count(*) FILTER (WHERE rr.status = 'failed') AS failed,
               count(*) FILTER (WHERE rr.correct) AS correct,
               avg(CASE WHEN rr.correct THEN 1.0 ELSE 0.0 END) FILTER (WHERE rr.correct IS NOT NULL) AS accuracy,
               COALESCE(sum(rr.prompt_tokens), 0) AS prompt_tokens,
               COALESCE(sum(rr.cached_prompt_tokens), 0) AS cached_prompt_tokens,
               COALESCE(sum(rr.generated_tokens), 0) AS generated_tokens,
               COALESCE(sum(rr.scored_tokens), 0) AS scored_tokens,
               COALESCE(sum(rr.cached_scored_tokens), 0) AS cached_scored_tokens,
               COALESCE(sum(rr.flops), 0) AS flops,
               COALESCE(sum(rr.device_milliseconds), 0) AS device_milliseconds,
               b.submitted_at, b.completed_at,
               extract(epoch FROM b.completed_at - b.submitted_at) AS wall_seconds
        FROM ttc.batches b
        LEFT JOIN ttc.run_results rr ON rr.batch_id = b.id
        GROUP BY b.id;

        CREATE VIEW ttc.accuracy_by_strategy AS
        SELECT strategy, n, difficulty_bin, count(*) AS runs,
               avg(CASE WHEN correct THEN 1.0 ELSE 0.0 END) FILTER (WHERE correct IS NOT NULL) AS accuracy,
               avg(generated_tokens) AS mean_generated_tokens, avg(flops) AS mean_flops
        FROM ttc.run_results
        WHERE status = 'completed'
        GROUP BY strategy, n, difficulty_bin;
        """;

    /// <summary>Creates the roles where the migrating user may; a user without CREATEROLE gets a notice, not a failure.</summary>
    public const string Roles = """
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ttc_analyst') THEN CREATE ROLE ttc_analyst NOLOGIN; END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ttc_writer') THEN CREATE ROLE ttc_writer NOLOGIN; END IF;
            GRANT USAGE ON SCHEMA ttc TO ttc_analyst, ttc_writer;
            GRANT SELECT ON ALL TABLES IN SCHEMA ttc TO ttc_analyst;
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ttc TO ttc_writer;
            ALTER DEFAULT PRIVILEGES IN SCHEMA ttc GRANT SELECT ON TABLES TO ttc_analyst;
            ALTER DEFAULT PRIVILEGES IN SCHEMA ttc GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ttc_writer;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'roles ttc_analyst / ttc_writer not created: the migrating user lacks the privilege';
        END
        $$;
        """;

    /// <summary>Read access for the least-privilege analyst role (DatabaseRoles) to views created again after it was set up.</summary>
    public static readonly string GrantToAnalyst = GrantSelect("ttc.run_results, ttc.batch_compute, ttc.accuracy_by_strategy", "the analyst views");

    /// <summary>
    /// Grants <c>ttc_analyst</c> read access to <paramref name="views"/> where the role exists; a migrating user
    /// without the privilege gets a notice naming <paramref name="what"/>, not a failure.
    /// </summary>
    public static string GrantSelect(string views, string what) => $$"""
        DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'ttc_analyst') THEN
                GRANT SELECT ON {{views}} TO ttc_analyst;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'ttc_analyst not granted {{what}}: the migrating user lacks the privilege';
        END
        $$;
        """;

    public const string Drop = """
        DROP VIEW IF EXISTS ttc.accuracy_by_strategy;
        DROP VIEW IF EXISTS ttc.batch_compute;
        DROP VIEW IF EXISTS ttc.run_results;
        """;
}
