namespace Platform.Storage.Entities;

/// <summary>A key for the HTTP API: only its SHA-256 is stored; the key itself is shown once, when created.</summary>
public class ApiKey
{
    public Guid Id { get; set; }

    /// <summary>Who or what holds the key (unique).</summary>
    public string Name { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the key.</summary>
    public string KeyHash { get; set; } = "";

    /// <summary>The key's first characters, to recognise it in a listing.</summary>
    public string Prefix { get; set; } = "";

    public bool Revoked { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
