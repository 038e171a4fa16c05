namespace Elsa.Migration.Lab.Guest;

/// <summary>The lab guest image is missing, stale or damaged; the message says what to run.</summary>
public sealed class GuestImageException(string message) : Exception(message);
