using Microsoft.EntityFrameworkCore;
using Npgsql;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.IntegrationTests;

[Collection(ServersCollection.Name)]
public sealed class StorageTests(Servers servers) : IAsyncLifetime
{
    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        _connectionString = await servers.CreateDatabaseAsync();
        await using var db = NewContext();
        await DatabaseInitializer.InitializeAsync(db);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private PlatformDbContext NewContext() => new(PlatformDbContextOptions.Create(StorageProvider.Postgres, _connectionString));

    [Fact]
    public async Task Migrations_apply_to_PostgreSQL_and_match_the_model()
    {
        await using var db = NewContext();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.NotEmpty(await db.Database.GetAppliedMigrationsAsync());
        Assert.False(db.Database.HasPendingModelChanges(), "the model has changes that no checked-in migration covers");

        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select table_name from information_schema.tables where table_schema = 'ttc' order by table_name", connection);
        var tables = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        foreach (var expected in new[] { "batches", "problems", "runs", "run_rounds", "candidates", "step_scores", "compute_usage", "policies", "sweeps" })
        {
            Assert.Contains(expected, tables);
        }
    }

    [Fact]
    public async Task Every_entity_round_trips_through_PostgreSQL()
    {
        var graph = SampleGraph.Create();
        await using (var db = NewContext())
        {
            graph.AddTo(db);
            await db.SaveChangesAsync();
        }

        await using (var db = NewContext())
        {
            await graph.AssertStoredIn(db);
        }
    }

    [Fact]
    public async Task Rows_written_by_COPY_read_back_as_the_change_tracker_writes_them()
    {
        var graph = SampleGraph.Create();
        await using (var db = NewContext())
        {
            await graph.InsertManyInto(db);
        }

        await using (var db = NewContext())
        {
            await graph.AssertStoredIn(db);
        }
    }

    [Fact]
    public async Task A_second_write_with_the_same_business_key_adds_no_row()
    {
        var graph = SampleGraph.Create();
        await using (var db = NewContext())
        {
            graph.AddTo(db);
            await db.SaveChangesAsync();
        }

        RunRound Round(Guid id) => new()
        {
            Id = id, RunId = graph.Run.Id, Index = 7, Kind = "generate", RequestId = Guid.NewGuid(), CreatedAt = DateTimeOffset.UtcNow,
        };

        var first = Round(Guid.NewGuid());
        await using (var db = NewContext())
        {
            var (row, inserted) = await db.InsertOnceAsync(first, r => r.RunId == first.RunId && r.Index == 7 && r.Kind == "generate");
            Assert.True(inserted);
            Assert.Equal(first.Id, row.Id);
        }

        await using (var db = NewContext())
        {
            var (row, inserted) = await db.InsertOnceAsync(Round(Guid.NewGuid()), r => r.RunId == first.RunId && r.Index == 7 && r.Kind == "generate");
            Assert.False(inserted);
            Assert.Equal(first.Id, row.Id);
        }

        // Writers racing on one new key: the unique index lets exactly one in.
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            await using var db = NewContext();
            var candidate = Round(Guid.NewGuid());
            candidate.Index = 8;
            return (await db.InsertOnceAsync(candidate, r => r.RunId == first.RunId && r.Index == 8 && r.Kind == "generate")).Inserted;
        }));
        Assert.Single(results, inserted => inserted);

        // A raw duplicate (bypassing the helper) is refused by the database itself.
        await using (var db = NewContext())
        {
            db.RunRounds.Add(Round(Guid.NewGuid()));
            var error = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            Assert.True(error.IsUniqueViolation());
        }

        await using (var db = NewContext())
        {
            Assert.Equal(1, await db.RunRounds.CountAsync(r => r.RunId == first.RunId && r.Index == 7));
            Assert.Equal(1, await db.RunRounds.CountAsync(r => r.RunId == first.RunId && r.Index == 8));
        }
    }
}
