/**
 * The durable half of publish(): a turn's durable publishes appended to their channels' logs, then delivered with
 * their positions. Reached through the channels loader (../channels-loader.ts), so a handler that never publishes
 * to a durable channel does not carry the log.
 */
import type { PublishResult } from '../core/errors';
import { ChannelLogError } from '../core/errors';
import type { PublishOptions } from '../core/publish';
import { runtimeSettings } from '../core/settings';
import { type Format, WebSocketMessageFormat } from '../grip/formats';
import type { ChannelLog, LoggedMessage } from './channel-log';
import { channelLog } from './durable';
import { eventStreamChannel, holdFormats, longPollChannel } from './durable-holds';
import { envelopeChannel, messageFrame } from './envelope';

/** A durable publish waiting for the end of its turn to be appended. */
export interface DurableQueued {
  readonly channel: string;
  readonly formats: readonly Format[];
  readonly options: PublishOptions;
  readonly data: string | Uint8Array;
  readonly resolve: (result: PublishResult) => void;
  readonly reject: (error: unknown) => void;
}

/** Queues one item for delivery in the current turn (publish()'s batching). */
export type Deliver = (channel: string, formats: readonly Format[], options: PublishOptions) => Promise<PublishResult>;

/** Each channel's last append in this container: the next waits for it, so offsets follow call order. */
const appendChains = new Map<string, Promise<unknown>>();

/** Appends a turn's durable publishes, then publishes each appended one with its position. */
export async function appendTurn(turn: readonly DurableQueued[], enqueue: Deliver): Promise<void> {
  const byChannel = new Map<string, DurableQueued[]>();
  for (const queued of turn) byChannel.set(queued.channel, [...(byChannel.get(queued.channel) ?? []), queued]);
  const positions = new Map<DurableQueued, LoggedMessage | unknown>();
  let log: ChannelLog;
  try {
    log = channelLog();
  } catch (error) {
    for (const queued of turn) queued.reject(error);
    return;
  }
  await Promise.all(
    [...byChannel].map(async ([channel, queued]) => {
      const previous = appendChains.get(channel) ?? Promise.resolve();
      const appending = previous.then(() =>
        log.appendAll(
          channel,
          queued.map((q) => (q.options.from === undefined ? q.data : { data: q.data, from: q.options.from })),
        ),
      );
      const settled = appending.catch(() => undefined);
      appendChains.set(channel, settled);
      void settled.then(() => {
        if (appendChains.get(channel) === settled) appendChains.delete(channel);
      });
      try {
        const appended = await appending;
        queued.forEach((q, i) => {
          positions.set(q, appended[i]);
        });
      } catch (error) {
        const appended = (error instanceof ChannelLogError ? error.appended : []) as LoggedMessage[];
        queued.forEach((q, i) => {
          positions.set(q, i < appended.length ? appended[i] : error);
        });
      }
    }),
  );
  // One turn: the publishes below share control requests, in call order.
  for (const queued of turn) {
    const position = positions.get(queued);
    if (!isLogged(position)) {
      queued.reject(position);
      continue;
    }
    // The first offset's prev-id is 0: what a hold on an empty channel says it has.
    const ids = { id: String(position.offset), prevId: String(position.offset - 1) };
    const plain = enqueue(queued.channel, queued.formats, { ...queued.options, ...ids });
    const envelope = enqueue(envelopeChannel(queued.channel), [new WebSocketMessageFormat(messageFrame(position))], {
      ...ids,
      ...(queued.options.meta ? { meta: queued.options.meta } : {}),
    });
    const holds = runtimeSettings().gripConfigured ? holdFormats(position) : undefined;
    const forHolds = holds
      ? [
          enqueue(eventStreamChannel(queued.channel), [holds.sse], ids),
          enqueue(longPollChannel(queued.channel), [holds.poll], ids),
        ]
      : [];
    Promise.all([plain, envelope, ...forHolds]).then(
      ([result]) => queued.resolve({ ...result, offset: position.offset, epoch: position.epoch }),
      queued.reject,
    );
  }
}

function isLogged(position: unknown): position is LoggedMessage {
  return typeof position === 'object' && position !== null && 'offset' in position && 'epoch' in position;
}
