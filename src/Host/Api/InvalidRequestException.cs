namespace Elsa.Migration.Host.Api;

/// <summary>A request the caller got wrong (a field of the wrong type, an id that breaks the rule): answered 400 with
/// <see cref="Exception.Message"/> by <see cref="ApiExceptionHandler"/>. Thrown while reading a request, before anything is written.</summary>
public sealed class InvalidRequestException(string message) : Exception(message);
