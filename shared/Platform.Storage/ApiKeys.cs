using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Platform.Storage.Entities;

namespace Platform.Storage;

/// <summary>Creating, checking and revoking HTTP API keys. Keys are 256 random bits; the database keeps their SHA-256 only.</summary>
public static class ApiKeys
{
    public const string KeyPrefix = "ttc_";

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>A new key for <paramref name="name"/>; the returned key is the only copy.</summary>
    public static async Task<(string Key, ApiKey Row)> Create(PlatformDbContext db, string name, DateTimeOffset now, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
        {
            throw new ArgumentException("a key's name must be 1 to 200 characters");
        }

        if (await db.Set<ApiKey>().AnyAsync(k => k.Name == name, ct))
        {
            throw new ArgumentException($"a key named '{name}' exists already (revoke it, or choose another name)");
        }

        var key = KeyPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var row = new ApiKey { Id = Guid.NewGuid(), Name = name, KeyHash = Hash(key), Prefix = key[..12], CreatedAt = now };
        db.Add(row);
        await db.SaveChangesAsync(ct);
        return (key, row);
    }

    /// <summary>The key's row (revoked or not), or null when no such key exists.</summary>
    public static Task<ApiKey?> Find(PlatformDbContext db, string key, CancellationToken ct)
    {
        var hash = Hash(key);
        return db.Set<ApiKey>().AsNoTracking().SingleOrDefaultAsync(k => k.KeyHash == hash, ct);
    }

    public static async Task<bool> Revoke(PlatformDbContext db, string name, DateTimeOffset now, CancellationToken ct) =>
        await db.Set<ApiKey>().Where(k => k.Name == name && !k.Revoked)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.Revoked, true).SetProperty(k => k.RevokedAt, now), ct) == 1;

    public static Task<List<ApiKey>> List(PlatformDbContext db, CancellationToken ct) =>
        db.Set<ApiKey>().AsNoTracking().OrderBy(k => k.Name).ToListAsync(ct);
}
