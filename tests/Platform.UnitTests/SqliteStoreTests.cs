using Microsoft.EntityFrameworkCore;
using Platform.Storage;
using Platform.Storage.Entities;

namespace Platform.UnitTests;

/// <summary>The embedded default's store: the same model, created in a SQLite file.</summary>
public sealed class SqliteStoreTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"ttc-test-{Guid.NewGuid():N}.db");

    private PlatformDbContext NewContext() => new(PlatformDbContextOptions.Create(StorageProvider.Sqlite, $"Data Source={_path};Pooling=false"));

    public void Dispose()
    {
        File.Delete(_path);
    }

    [Fact]
    public async Task The_model_creates_a_SQLite_database_and_round_trips_every_entity()
    {
        await using (var db = NewContext())
        {
            await DatabaseInitializer.InitializeAsync(db);
            Assert.True(db.Database.IsSqlite());
        }

        Assert.True(File.Exists(_path));
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
    public async Task Rows_written_by_the_bulk_insert_read_back_as_the_change_tracker_writes_them()
    {
        await using (var db = NewContext())
        {
            await DatabaseInitializer.InitializeAsync(db);
        }

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
    public async Task A_file_from_an_earlier_schema_gains_the_nullable_columns_added_since()
    {
        await using (var db = NewContext())
        {
            await DatabaseInitializer.InitializeAsync(db);
            db.Sweeps.Add(new Sweep { Id = Guid.NewGuid(), Key = "old", Status = "completed", ProblemCount = 3, StartedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE sweeps DROP COLUMN policy_version"); // as sweep.db files written before it existed
        }

        await using (var db = NewContext())
        {
            await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => db.Sweeps.ToListAsync()); // the model reads policy_version
            await DatabaseInitializer.InitializeAsync(db);
            var old = await db.Sweeps.SingleAsync();
            Assert.Equal(("old", 3, (int?)null), (old.Key, old.ProblemCount, old.PolicyVersion));
        }
    }

    [Fact]
    public async Task A_second_write_with_the_same_business_key_adds_no_row_in_SQLite()
    {
        await using (var db = NewContext())
        {
            await DatabaseInitializer.InitializeAsync(db);
        }

        var graph = SampleGraph.Create();
        await using (var db = NewContext())
        {
            graph.AddTo(db);
            await db.SaveChangesAsync();
        }

        ComputeUsageRecord Usage() => new()
        {
            Id = Guid.NewGuid(), RequestId = graph.Round.RequestId, BatchId = graph.Batch.Id, RunId = graph.Run.Id, Kind = "generate",
            Model = "gen-small", GeneratedTokens = 999, RecordedAt = DateTimeOffset.UtcNow,
        };

        await using (var db = NewContext())
        {
            var (row, inserted) = await db.InsertOnceAsync(Usage(), u => u.RequestId == graph.Round.RequestId);
            Assert.False(inserted);
            Assert.Equal(graph.Usage.Id, row.Id);
            Assert.Equal(graph.Usage.GeneratedTokens, row.GeneratedTokens);
        }

        await using (var db = NewContext())
        {
            db.ComputeUsage.Add(Usage());
            var error = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            Assert.True(error.IsUniqueViolation());
        }

        await using (var db = NewContext())
        {
            Assert.Equal(1, await db.ComputeUsage.CountAsync(u => u.RequestId == graph.Round.RequestId));
        }
    }
}
