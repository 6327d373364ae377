using System.ComponentModel.DataAnnotations;

namespace Platform.Storage;

public enum StorageProvider
{
    Postgres,
    Sqlite,
}

/// <summary>Bound from the <c>Storage</c> section; the connection string from <c>ConnectionStrings:Platform</c>.</summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string Section = "Storage";
    public const string ConnectionStringName = "Platform";
    public const string ConnectionStringKey = "ConnectionStrings:" + ConnectionStringName;

    public StorageProvider Provider { get; set; } = StorageProvider.Postgres;

    /// <summary>Filled from <c>ConnectionStrings:Platform</c> unless set in the section itself.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Apply migrations (PostgreSQL) or create the schema (SQLite) when the host starts.</summary>
    public bool MigrateOnStart { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult(
                $"{ConnectionStringKey} is required (the {Provider} connection string; e.g. environment variable ConnectionStrings__Platform).",
                [nameof(ConnectionString)]);
        }
    }
}
