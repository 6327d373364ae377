namespace Platform.Storage;

/// <summary>
/// The analyst views of compute-optimal work (a migration creates them, PostgreSQL only): the scaling
/// curve (accuracy against mean compute per strategy and budget) and accuracy by strategy x budget x
/// difficulty bin with where the bin came from (heuristic, predicted from probes, oracle).
/// </summary>
public static class ScalingViews
{
    public static readonly string Create = """
        CREATE VIEW ttc.scaling_curve AS
        SELECT strategy, n AS budget, count(*) AS runs,
               avg(CASE WHEN correct THEN 1.0 ELSE 0.0 END) FILTER (WHERE correct IS NOT NULL) AS accuracy,
               avg(generated_tokens) AS mean_generated_tokens, avg(flops) AS mean_flops,
               avg(device_milliseconds) AS mean_device_milliseconds
        FROM ttc.run_results
        WHERE status = 'completed'
        GROUP BY strategy, n;

        CREATE VIEW ttc.accuracy_by_difficulty AS
        SELECT strategy, n AS budget, difficulty_source, difficulty_bin, count(*) AS runs,
               avg(CASE WHEN correct THEN 1.0 ELSE 0.0 END) FILTER (WHERE correct IS NOT NULL) AS accuracy,
               avg(generated_tokens) AS mean_generated_tokens, avg(flops) AS mean_flops
        FROM ttc.run_results
        WHERE status = 'completed'
        GROUP BY strategy, n, difficulty_source, difficulty_bin;
        """ + "\n" + AnalystViews.GrantSelect("ttc.scaling_curve, ttc.accuracy_by_difficulty", "the scaling views");

    public const string Drop = """
        DROP VIEW IF EXISTS ttc.accuracy_by_difficulty;
        DROP VIEW IF EXISTS ttc.scaling_curve;
        """;
}
