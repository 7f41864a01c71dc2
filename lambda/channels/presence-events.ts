/**
 * Presence as the channel protocol drives it: a protocol subscriber joins the channel's presence (when the handler
 * says who it is), leaves on unsubscribe or when its connection closes, and stays alive by its heartbeats. Joins and
 * leaves go to the channel's protocol subscribers as `join` / `leave` frames, on both transports.
 *
 * Staleness bound: a member that closes leaves at once (GRIP CLOSE / DISCONNECT, native `$disconnect`, or found gone
 * by a native fan-out). A member whose network dies silently sends no more heartbeats; every heartbeat or join of
 * another member of the channel sweeps the channel (at most once per `timeout / 3` per container), so the member
 * leaves within `timeout + max(heartbeat interval, timeout / 3)` of its last heartbeat while anyone else in the
 * channel is alive, and at the next join otherwise. The item's TTL (four timeouts) is the backstop of the item.
 */
import { containerScoped } from '../core/container';
import { logger } from '../core/logger';
import { publish } from '../core/publish';
import { runtimeSettings } from '../core/settings';
import type { WebSocketContext } from '../core/websocket-context';
import { WebSocketMessageFormat } from '../grip/formats';
import { envelopeChannel, presenceEventFrame } from './envelope';
import { type PresenceMember, type PresenceStore, presenceStore } from './presence';

/** The meta key that lists the channels a connection is a presence member of. */
export const PRESENCE_META = 'fg-presence';
/** Most channels one connection is a presence member of at once. */
export const MAX_PRESENCE_CHANNELS = 16;

/** Who a connection is in presence: the user (an identity, or what the handler chose) and shown information. */
export interface PresenceIdentity {
  readonly user: string;
  readonly info?: Record<string, string>;
}

/** True when presence is configured (FAAS_GRIP_PRESENCE_TABLE). */
export function presenceConfigured(): boolean {
  return Boolean(runtimeSettings().presenceTable);
}

/** The channels the connection is a member of, from its meta. */
export function memberChannels(ws: WebSocketContext<unknown>): string[] {
  const listed = ws.meta[PRESENCE_META];
  return listed ? listed.split(',').filter(Boolean) : [];
}

function setMemberChannels(ws: WebSocketContext<unknown>, channels: readonly string[]): void {
  if (channels.length === 0) delete ws.meta[PRESENCE_META];
  else ws.meta[PRESENCE_META] = channels.join(',');
}

/**
 * Runs a presence step without letting its failure fail the connection's request: presence heals itself (sweeps,
 * TTL), while a thrown error would close the connection. The failure is logged as a warning.
 */
export async function tolerantly(step: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    logger.warn(`presence ${step} failed; presence will catch up by sweep or TTL`, { error });
  }
}

/** Joins `channel`'s presence; a new member is announced to the channel's protocol subscribers. */
export async function joinPresence(
  ws: WebSocketContext<unknown>,
  channel: string,
  who: PresenceIdentity,
): Promise<void> {
  const channels = memberChannels(ws);
  if (!channels.includes(channel)) {
    if (channels.length >= MAX_PRESENCE_CHANNELS) return;
    setMemberChannels(ws, [...channels, channel]);
  }
  const member = { connectionId: ws.id, transport: ws.transport.name, user: who.user, info: who.info ?? {} };
  const store = presenceStore();
  if (await store.join(channel, member)) announce('join', channel, member);
  // A channel whose members all went silent has no heartbeat to sweep it: a join does.
  await sweepSometimes(store, channel);
}

/** Sweeps the channel unless this container did within the last timeout / 3. */
async function sweepSometimes(store: PresenceStore, channel: string): Promise<void> {
  const now = Date.now();
  const swept = lastSweep.get();
  if (now - (swept.get(channel) ?? 0) < (store.timeoutSeconds * 1000) / 3) return;
  swept.set(channel, now);
  for (const left of await store.sweep(channel)) announce('leave', channel, left);
}

/** Leaves `channel`'s presence; the leave is announced. */
export async function leavePresence(ws: WebSocketContext<unknown>, channel: string): Promise<void> {
  setMemberChannels(
    ws,
    memberChannels(ws).filter((c) => c !== channel),
  );
  const left = await presenceStore().leave(channel, ws.id);
  if (left !== undefined) announce('leave', channel, left);
}

/**
 * The connection is someone else now (a new nick): in every channel it is a member of (from the table, which a
 * concurrent request may have changed since this one's meta was read), it leaves and joins again as `who`.
 */
export async function renamePresence(ws: WebSocketContext<unknown>, who: PresenceIdentity): Promise<void> {
  if (!presenceConfigured()) return;
  const channels = new Set([...memberChannels(ws), ...(await presenceStore().channelsOf(ws.id))]);
  for (const channel of channels) {
    await leavePresence(ws, channel);
    await joinPresence(ws, channel, who);
  }
}

/** The connection closed: it leaves every channel (found by the table's index, so a lost meta does not matter). */
export async function connectionClosed(connectionId: string): Promise<void> {
  if (!presenceConfigured()) return;
  for (const left of await presenceStore().leaveAll(connectionId)) announce('leave', left.channel, left);
}

/**
 * The connection's heartbeat: its memberships are refreshed (a missing one joins again as `identify` says) and
 * their channels swept of stale members.
 */
export async function presenceHeartbeat(
  ws: WebSocketContext<unknown>,
  identify?: (ws: WebSocketContext<unknown>, channel: string) => PresenceIdentity | undefined,
): Promise<void> {
  const channels = memberChannels(ws);
  if (channels.length === 0 || !presenceConfigured()) return;
  const store = presenceStore();
  const missing = await store.refresh(ws.id, channels);
  // A member without an entry (its join failed, or a sweep took it for gone while it was only slow) is alive: it
  // joins again, so a lost join heals at the next heartbeat.
  for (const channel of missing) {
    const who = identify?.(ws, channel);
    if (who === undefined) continue;
    const member = { connectionId: ws.id, transport: ws.transport.name, user: who.user, info: who.info ?? {} };
    if (await store.join(channel, member)) announce('join', channel, member);
  }
  for (const channel of channels) await sweepSometimes(store, channel);
}

/** When this container last swept each channel. */
const lastSweep = containerScoped(() => new Map<string, number>());

/**
 * Publishes a join or leave frame to the channel's protocol subscribers when the channel's events are on
 * (FAAS_GRIP_PRESENCE_EVENTS); not logged; a failure is only logged.
 */
function announce(
  type: 'join' | 'leave',
  channel: string,
  member: Omit<PresenceMember, 'channel' | 'joinedAt' | 'seenAt'>,
) {
  if (!runtimeSettings().announcesPresence(channel)) return;
  publish(envelopeChannel(channel), new WebSocketMessageFormat(presenceEventFrame(type, channel, member)), {
    durable: false,
  }).catch((error: unknown) => logger.warn('presence event not delivered', { channel, type, error }));
}
