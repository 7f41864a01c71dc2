/**
 * Bounds on the work one WebSocket request hands to user code, so that no request outlives its invocation (API
 * Gateway's 29-second route limit answers 504, and a GRIP proxy then drops the client with whatever was in flight):
 *
 * - a per-connection inbound message rate: a token bucket of `burst` messages refilled at `perSecond`, kept in the
 *   connection's meta (`faas-grip-rate`), so it holds across requests on both transports. A connection that sends more
 *   is closed with 1008 (policy violation) after the messages within its allowance were handled;
 * - a read budget: messages are handed to user code during the first half of the invocation's remaining time; the rest
 *   is for the work they started and the answer. What is left unread is handed back to the proxy with
 *   `Content-Bytes-Accepted` where the proxy supports it (Pushpin 1.41 and later), or refused by closing the
 *   connection with 1013 (try again later).
 */
import { type FlowControlSetting, type MessageRate, runtimeSettings } from './settings';

export type { FlowControlSetting, MessageRate };
/** Close code for a connection over its message rate: 1008, policy violation (RFC 6455). */
export const RATE_LIMIT_CLOSE_CODE = 1008;
/** Close reason sent with {@link RATE_LIMIT_CLOSE_CODE}. */
export const RATE_LIMIT_CLOSE_REASON = 'message rate limit exceeded';
/** Close code when unread messages cannot be handed back at the deadline: 1013, try again later (RFC 6455). */
export const DEADLINE_CLOSE_CODE = 1013;
/** Close reason sent with {@link DEADLINE_CLOSE_CODE}. */
export const DEADLINE_CLOSE_REASON = 'try again later: too many messages for one request';
/** The meta name holding a connection's rate state; hidden from `ws.meta`. */
export const RATE_META = 'faas-grip-rate';
/** Share of the invocation's remaining time (when the request arrives) during which messages are handed out. */
export const READ_SHARE = 0.5;
/** The `Grip-Feature` Pushpin 1.41.0 added together with `Content-Bytes-Accepted` (both first in that release). */
export const FLOW_CONTROL_MARKER_FEATURE = 'link:gone';
/** The response header that accepts only part of a WebSocket-over-HTTP request's content. */
export const CONTENT_BYTES_ACCEPTED = 'Content-Bytes-Accepted';

/**
 * True when the proxy that sent a request honours `Content-Bytes-Accepted`. `auto` reads Pushpin's `Grip-Feature`
 * request header: no header names the feature itself, but `link:gone` came in the same release (1.41.0), so its
 * presence identifies a proxy with flow control. Pushpin 1.36 (and every release before 1.41) lacks it.
 */
export function proxySupportsFlowControl(
  headers: Readonly<Record<string, string>>,
  setting: FlowControlSetting = runtimeSettings().flowControl,
): boolean {
  if (setting !== 'auto') return setting === 'on';
  const features = (headers['grip-feature'] ?? '').split(',').map((f) => f.trim().toLowerCase());
  return features.includes(FLOW_CONTROL_MARKER_FEATURE);
}

/**
 * Messages a connection may send now, from its stored state (the time its bucket is full again, epoch ms). A
 * missing or unreadable state counts as a full bucket.
 */
export function messagesAllowed(state: string | undefined, rate: MessageRate, now: number): number {
  const interval = 1000 / rate.perSecond;
  return Math.max(0, Math.floor(rate.burst - debtOf(state, rate, now) / interval + 1e-9));
}

/** The state after `count` messages were handed out now; undefined when there is nothing to remember. */
export function chargedState(
  state: string | undefined,
  rate: MessageRate,
  now: number,
  count: number,
): string | undefined {
  const debt = debtOf(state, rate, now);
  if (count === 0) return debt > 0 ? state : undefined;
  return String(Math.ceil(now + debt + (count * 1000) / rate.perSecond));
}

/** How far the bucket is from full, in ms of refill, within 0 and a full bucket's worth. */
function debtOf(state: string | undefined, rate: MessageRate, now: number): number {
  const full = state !== undefined && /^\d{1,16}$/.test(state) ? Number(state) : now;
  return Math.min(Math.max(0, full - now), (rate.burst * 1000) / rate.perSecond);
}
