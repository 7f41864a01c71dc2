/**
 * `ChannelStream`: a reader of one durable channel over Server-Sent Events, for a GRIP stream endpoint
 * (`httpHoldHandler` with `durableEventStream`, like the package's stream example). It reads with `fetch`, not
 * EventSource, so it can send the token in the `Authorization` header and take a fresh one on every reconnect: it
 * reconnects after the stream ends, the network fails or 60 s pass without a byte, resumes from the last position
 * it delivered (the server's `lastEventId`; a new stream from the head the server opened it at), drops duplicates, reports a gap it cannot fill (`event: not-recovered`)
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
  /** Three keep-alives (one every 20 s of silence) missed. */
  protected readonly idleMs = 60_000;

  /** The URL, with the position as `lastEventId` (a query parameter, not a header, so no CORS preflight for it). */
  protected requestUrl(): URL {
    const url = new URL(this.url);
    if (this.last !== undefined) url.searchParams.set('lastEventId', `${this.last.epoch}:${this.last.offset}`);
    return url;
  }

  protected requestHeaders(): Record<string, string> {
    return { Accept: 'text/event-stream' };
  }

  /** Reads events until the stream ends; then the reader reconnects (resuming from its position). */
  protected async consume(body: ReadableStream<Uint8Array>, contentType: string): Promise<AfterResponse> {
    if (!contentType.includes('text/event-stream')) {
      await body.cancel();
      this.end({ code: 'not-durable', message: `the answer is ${contentType || 'untyped'}, not an event stream` });
      return 'reconnect';
    }
    const reader = body.getReader();
    try {
      return await this.events(reader);
    } finally {
      // Closed, refreshed or a listener threw: the response does not stay open.
      reader.cancel().catch(() => {});
    }
  }

  private async events(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<AfterResponse> {
    const decoder = new TextDecoder();
    let buffered = '';
    let event: { id?: string; event?: string; data: string[] } = { data: [] };
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return 'reconnect';
      this.touch();
      buffered += decoder.decode(value, { stream: true });
      // A CR at the end may be the first half of a CRLF: it waits for the next chunk.
      const held = buffered.endsWith('\r') ? 1 : 0;
      const lines = buffered.slice(0, buffered.length - held).split(/\r\n|\r|\n/);
      buffered = (lines.pop() ?? '') + (held ? '\r' : '');
      for (const line of lines) {
        if (line === '') {
          this.dispatch(event.id, event.event || 'message', event.data);
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

  private dispatch(id: string | undefined, event: string, lines: string[]): void {
    if (this.isClosed()) return;
    const position = positionOf(id);
    if (lines.length === 0) {
      // An id-only event (a new stream's opening): where to resume from, nothing to deliver.
      if (position !== undefined && this.last === undefined) this.last = position;
      return;
    }
    const data = lines.join('\n');
    if (event === 'not-recovered') {
      const now = position ?? headOf(data);
      if (now !== undefined) this.notRecovered(now);
      return;
    }
    if (event !== 'message' && event !== 'bytes') return;
    if (position === undefined) {
      this.end({ code: 'not-durable', message: 'an event without a position: is the channel durable?' });
      return;
    }
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
