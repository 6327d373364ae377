using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Platform.Storage;

namespace Platform.Router.Api;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c> against the hashed keys in PostgreSQL. No header or an
/// unknown key: 401. A revoked key authenticates (the caller is known) but the policy refuses it: 403.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, PlatformDbContext db)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string RevokedClaim = "ttc:revoked";
    public const string ActivePolicy = "active-api-key";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("the Authorization header must be 'Bearer <key>'");
        }

        var key = header["Bearer ".Length..].Trim();
        var row = key.Length is > 0 and <= 200 ? await ApiKeys.Find(db, key, Context.RequestAborted) : null;
        if (row is null)
        {
            return AuthenticateResult.Fail("unknown API key");
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, row.Name), new Claim(RevokedClaim, row.Revoked ? "true" : "false")], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
