namespace Platform.Storage;

/// <summary>
/// The tables of Quartz.NET's ADO.NET job store in schema <c>ttc</c> with prefix <c>qrtz_</c>, where
/// the Routers' clustered scheduler keeps the sweep jobs, triggers, locks and check-ins. A migration
/// creates them (the services run without DDL rights) from the PostgreSQL script the Quartz assembly
/// itself carries for provisioning, so the tables are exactly the ones this Quartz version reads and
/// validates at start; after a Quartz upgrade, a new migration runs the script again (it only adds
/// what is missing). See docs/decisions/0012.
/// </summary>
public static class QuartzTables
{
    /// <summary>Quartz's TablePrefix for these tables.</summary>
    public const string Prefix = "ttc.qrtz_";

    private const string Script = "Quartz.Impl.AdoJobStore.Schema.create_postgres.sql";

    /// <summary>The script's statements for <see cref="Prefix"/> (it separates them with lines reading <c>--;;</c>).</summary>
    public static IEnumerable<string> CreateStatements()
    {
        using var stream = typeof(Quartz.IScheduler).Assembly.GetManifestResourceStream(Script)
            ?? throw new InvalidOperationException($"the Quartz assembly carries no {Script}: the Quartz version changed; see docs/decisions/0012");
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd().Replace("{0}", Prefix, StringComparison.Ordinal).Replace("{1}", Prefix["ttc.".Length..], StringComparison.Ordinal);
        return System.Text.RegularExpressions.Regex.Split(text, @"^--;;\r?$", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(s => s.Trim())
            .Where(s => s.Split('\n').Any(line => line.Trim().Length > 0 && !line.TrimStart().StartsWith("--", StringComparison.Ordinal)))
            .ToList();
    }

    /// <summary>The Router runs the scheduler and, from it, the sweeps and policy fits.</summary>
    public const string Grants = """
        DO $$
        DECLARE t record;
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'ttc_router') THEN
                FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'ttc' AND tablename LIKE 'qrtz\_%' LOOP
                    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ttc.%I TO ttc_router', t.tablename);
                END LOOP;
                GRANT INSERT, UPDATE ON ttc.sweeps, ttc.sweep_cells TO ttc_router;
                GRANT SELECT, INSERT, UPDATE ON ttc.policies TO ttc_router;
                GRANT SELECT ON ttc.candidates TO ttc_router;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN RAISE NOTICE 'scheduler grants skipped: the migrating user lacks the privilege';
        END $$;
        """;

    public const string Drop = """
        DO $$
        DECLARE t record;
        BEGIN
            FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'ttc' AND tablename LIKE 'qrtz\_%' LOOP
                EXECUTE format('DROP TABLE IF EXISTS ttc.%I CASCADE', t.tablename);
            END LOOP;
        END $$;
        """;
}
