namespace Elsa.Migration.Activities.GuestAgent;

/// <summary>
/// Reads the agent's byte stream: newline-terminated JSON replies, and the 0xFF delimiter that
/// <c>guest-sync-delimited</c> puts before its reply. Works on bytes because 0xFF is not valid UTF-8.
/// </summary>
internal sealed class GuestAgentFrameReader
{
    /// <summary>The byte the agent writes before a <c>guest-sync-delimited</c> reply (and that resets its parser).</summary>
    public const byte Delimiter = 0xFF;

    private const int MaxLineLength = 4 * 1024 * 1024;
    private readonly Stream _stream;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    public GuestAgentFrameReader(Stream stream) => _stream = stream;

    /// <summary>Discards everything up to and including the next 0xFF; returns how many bytes were skipped before it.</summary>
    public async ValueTask<int> SkipPastDelimiterAsync(CancellationToken cancellationToken)
    {
        var skipped = 0;
        while (true)
        {
            var index = Array.IndexOf(_buffer, Delimiter, _start, _end - _start);
            if (index >= 0)
            {
                skipped += index - _start;
                _start = index + 1;
                return skipped;
            }

            skipped += _end - _start;
            _start = _end = 0;
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads one line (without its newline). Throws <see cref="EndOfStreamException"/> when the peer closed.</summary>
    public async ValueTask<byte[]> ReadLineAsync(CancellationToken cancellationToken)
    {
        var scanned = 0; // bytes after _start already searched for the newline
        while (true)
        {
            var index = Array.IndexOf(_buffer, (byte)'\n', _start + scanned, _end - _start - scanned);
            if (index >= 0)
            {
                var line = _buffer.AsSpan(_start, index - _start).ToArray();
                _start = index + 1;
                return line;
            }

            scanned = _end - _start;
            if (scanned >= MaxLineLength)
            {
                throw new InvalidDataException($"the guest agent sent a line longer than {MaxLineLength} bytes");
            }

            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Compact()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        Compact();
        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new EndOfStreamException("the guest agent connection was closed by the other end");
        }

        _end += read;
    }
}
