/**
 * `ChannelStream`: a reader of one durable channel over Server-Sent Events, for a GRIP stream endpoint
 * (`httpHoldHandler` with `durableEventStream`, like the package's stream example). It reads with `fetch`, not
 * EventSource, so it can send the token in the `Authorization` header and take a fresh one on every reconnect: it
 * reconnects after the stream ends or the network fails, resumes with `Last-Event-ID` (the last position it
 * delivered; without one, live from now), drops duplicates, reports a gap it cannot fill (`event: not-recovered`)
 * and reconnects with a fresh token before the current one expires or at once after a 401 (./http-channel-reader.ts).
 * Browsers and Node 18+; no dependencies.
 *
 * @example
 * const stream = new ChannelStream('https://example.com/stream/news', { token: () => auth.currentIdToken() });
 * stream.on('message', (m) => console.log(m.offset, m.data));
 */
import { fromBase64 } from './client-support';
import { type AfterResponse, HttpChannelReader, positionOf } from './http-channel-reader';

/** A reader of one durable channel's SSE stream. It connects at once; `close()` stops it. */
export class ChannelStream extends HttpChannelReader {
  protected readonly lasting = true;

  protected requestUrl(): URL {
    return new URL(this.url);
  }

  protected requestHeaders(): Record<string, string> {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (this.last !== undefined) headers['Last-Event-ID'] = `${this.last.epoch}:${this.last.offset}`;
    return headers;
  }

  /** Reads events until the stream ends; then the reader reconnects (resuming from its position). */
  protected async consume(body: ReadableStream<Uint8Array>): Promise<AfterResponse> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    let event: { id?: string; event?: string; data: string[] } = { data: [] };
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return 'reconnect';
      buffered += decoder.decode(value, { stream: true });
      // A CR at the end may be the first half of a CRLF: it waits for the next chunk.
      const held = buffered.endsWith('\r') ? 1 : 0;
      const lines = buffered.slice(0, buffered.length - held).split(/\r\n|\r|\n/);
      buffered = (lines.pop() ?? '') + (held ? '\r' : '');
      for (const line of lines) {
        if (line === '') {
          if (event.data.length > 0 || event.id !== undefined) {
            this.dispatch(event.id, event.event ?? 'message', event.data.join('\n'));
          }
          event = { data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
        if (field === 'data') event.data.push(text);
        else if (field === 'id') event.id = text;
        else if (field === 'event') event.event = text;
      }
    }
  }

  private dispatch(id: string | undefined, event: string, data: string): void {
    if (this.isClosed()) return;
    const position = positionOf(id);
    if (event === 'not-recovered') {
      const now = position ?? headOf(data);
      if (now !== undefined) this.notRecovered(now);
      return;
    }
    if (position === undefined || (event !== 'message' && event !== 'bytes')) return;
    this.deliver(position, event === 'bytes' ? fromBase64(data) : data);
  }
}

/** The position in a `not-recovered` event's data (`{"channel","offset","epoch"}`). */
function headOf(data: string): { offset: number; epoch: string } | undefined {
  try {
    const head = JSON.parse(data) as { offset?: unknown; epoch?: unknown };
    return typeof head.offset === 'number' && typeof head.epoch === 'string'
      ? { offset: head.offset, epoch: head.epoch }
      : undefined;
  } catch {
    return undefined;
  }
}
