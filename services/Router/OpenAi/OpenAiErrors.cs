using Microsoft.AspNetCore.Diagnostics;

namespace Platform.Router.OpenAi;

/// <summary>An error as the OpenAI-compatible API answers it: the status and OpenAI's error body (message, type, param, code).</summary>
public sealed record OpenAiError(int Status, string Message, string? Param = null, string? Code = null, string? Type = null)
{
    public IResult Result() => Results.Json(Body, statusCode: Status);

    public ErrorBody Body => new() { Error = new ErrorDetail { Message = Message, Type = Type ?? OpenAiErrors.TypeOf(Status), Param = Param, Code = Code } };

    public static OpenAiError Invalid(string param, string message, string? code = null) => new(StatusCodes.Status400BadRequest, message, param, code);
}

/// <summary>
/// Where the OpenAI-compatible API differs from the native one at the door: under <c>/v1/</c> every error
/// status (401, 403, 404, 413, 429, 500 ...) has OpenAI's error body instead of an RFC 7807 problem.
/// </summary>
public static class OpenAiErrors
{
    public const string Prefix = "/v1";

    public static bool Owns(PathString path) => path.StartsWithSegments(Prefix, StringComparison.Ordinal);

    /// <summary>OpenAI's error type for a status.</summary>
    public static string TypeOf(int status) => status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "invalid_request_error",
        429 => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    /// <summary>The body an error status gets under <c>/v1/</c> when the endpoint wrote none (the door's 401, 403, 404, 413, 429; an exception's 500).</summary>
    public static Task Write(HttpContext http, int status, long maxBodyBytes)
    {
        var (message, code) = status switch
        {
            401 => ("a valid API key is required: Authorization: Bearer <key> (keys: ttc keys create NAME)", "invalid_api_key"),
            403 => ("this API key has been revoked", "revoked_api_key"),
            404 => ($"no such route: {http.Request.Method} {http.Request.Path}", "unknown_url"),
            405 => ($"{http.Request.Method} is not allowed on {http.Request.Path}", "method_not_allowed"),
            413 => ($"the request body is too large: the limit is {maxBodyBytes} bytes (Router:MaxRequestBodyBytes)", "request_too_large"),
            429 => ("too many requests for this API key (Router:RequestsPerMinutePerKey)", "rate_limit_exceeded"),
            _ when http.Features.Get<IExceptionHandlerFeature>() is not null => ("the request failed on the server", "server_error"),
            _ => ($"the request failed with status {status}", null),
        };
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new OpenAiError(status, message, null, code).Body);
    }
}
