/**
 * `ChannelPoller`: a reader of one durable channel over long-polls, for a GRIP long-poll endpoint
 * (`httpHoldHandler` with `durableLongPoll`, like the package's long-poll example), where streams cannot pass. Each
 * request asks for what came after its position (`after=<offset>&epoch=<epoch>`; without a position, from the
 * oldest message the log keeps): newer messages are answered at once, else the proxy holds the request until the
 * next one or its timeout, and the next request follows at once. Messages once each and in order, `notRecovered`
 * when the position cannot be resumed, the token fresh for every request (./http-channel-reader.ts).
 *
 * @example
 * const poller = new ChannelPoller('https://example.com/poll/news', { token: () => auth.currentIdToken() });
 * poller.on('message', (m) => console.log(m.offset, m.data));
 */
import { fromBase64 } from './client-support';
import { type AfterResponse, HttpChannelReader } from './http-channel-reader';

/** A long-poll answer (`{"fg":1,"channel","recovered","epoch","offset","messages":[{offset,data|data64}]}`). */
interface PollAnswer {
  readonly fg: number;
  readonly recovered: boolean;
  readonly epoch: string;
  readonly offset: number;
  readonly messages: ReadonlyArray<{ readonly offset: number; readonly data?: string; readonly data64?: string }>;
}

/** A reader of one durable channel by long-polls. It starts at once; `close()` stops it. */
export class ChannelPoller extends HttpChannelReader {
  protected readonly lasting = false;
  /** The proxy holds a long-poll 55 s: a request with no answer 20 s past that is taken for dead. */
  protected readonly idleMs = 75_000;

  protected requestUrl(): URL {
    const url = new URL(this.url);
    url.searchParams.set('after', String(this.last?.offset ?? 0));
    url.searchParams.set('epoch', this.last?.epoch ?? '');
    return url;
  }

  protected requestHeaders(): Record<string, string> {
    return { Accept: 'application/json' };
  }

  protected async consume(body: ReadableStream<Uint8Array>, contentType: string): Promise<AfterResponse> {
    const text = await new Response(body).text();
    const answer = contentType.includes('json') ? parse(text) : undefined;
    if (answer === undefined) {
      this.end({
        code: 'not-durable',
        message: 'the answer is not a durable long-poll answer: is the channel durable?',
      });
      return 'reconnect';
    }
    if (this.isClosed()) return 'reconnect';
    const previous = this.last;
    if (!answer.recovered) {
      // Delivery goes on from the first message answered (or the head when there is none).
      const first = answer.messages[0];
      this.notRecovered({ epoch: answer.epoch, offset: first ? first.offset - 1 : answer.offset });
    }
    for (const message of answer.messages) {
      const data = message.data64 !== undefined ? fromBase64(message.data64) : (message.data ?? '');
      this.deliver({ epoch: answer.epoch, offset: message.offset }, data);
    }
    // The next request starts from the answer's position (also when it held nothing new).
    if (answer.messages.length === 0 && answer.recovered && previous !== undefined && answer.epoch === previous.epoch) {
      this.last = { epoch: answer.epoch, offset: Math.max(answer.offset, previous.offset) };
    } else if (answer.messages.length === 0 && answer.recovered) {
      this.last = { epoch: answer.epoch, offset: answer.offset };
    }
    // Nothing new, answered at once (no proxy holding the request): wait before asking again.
    const idle = answer.messages.length === 0 && answer.recovered && Date.now() - this.requestedAt < 1000;
    return idle ? 'reconnect' : 'next';
  }
}

function parse(text: string): PollAnswer | undefined {
  try {
    const answer = JSON.parse(text) as PollAnswer;
    return answer.fg === 1 &&
      typeof answer.epoch === 'string' &&
      typeof answer.offset === 'number' &&
      Array.isArray(answer.messages)
      ? answer
      : undefined;
  } catch {
    return undefined;
  }
}
