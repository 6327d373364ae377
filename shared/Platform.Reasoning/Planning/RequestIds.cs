using System.Security.Cryptography;
using System.Text;

namespace Platform.Reasoning.Planning;

/// <summary>
/// Deterministic request ids (name-based UUID, version 5 layout over SHA-1): the same (run, round, kind)
/// always gives the same id, so a re-sent request is recognisably the same request.
/// </summary>
public static class RequestIds
{
    private static readonly byte[] Namespace = Guid.Parse("3d6f2b1e-8c4a-4f0e-9a57-7c1e5b2d9f10").ToByteArray();

    public static Guid For(Guid runId, int round, string kind)
    {
        var name = Encoding.UTF8.GetBytes($"{runId:N}/{round}/{kind}");
        var hash = SHA1.HashData([.. Namespace, .. name]);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version 5
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash.AsSpan(0, 16));
    }
}
