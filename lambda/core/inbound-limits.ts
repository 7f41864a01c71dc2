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
import { Env } from '../contract';
import { GripConfigError } from './errors';

/** Default sustained inbound rate of one connection, in messages per second. */
export const DEFAULT_MESSAGE_RATE = 50;
/** Default number of messages one connection may send at once (the bucket's size). */
export const DEFAULT_MESSAGE_BURST = 500;
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

/** A sustained rate and a burst, in messages. */
export interface MessageRate {
  readonly perSecond: number;
  readonly burst: number;
}

/** How `Content-Bytes-Accepted` is used: detected from the request, always, or never. */
export type FlowControlSetting = 'auto' | 'on' | 'off';

/**
 * The inbound message rate from `FAAS_GRIP_MESSAGE_RATE` and `FAAS_GRIP_MESSAGE_BURST`; undefined when turned off
 * (`off` or `0`).
 *
 * @throws GripConfigError for a value that is not a positive number (rate) or a positive whole number (burst).
 */
export function messageRateFromEnv(): MessageRate | undefined {
  const rateText = process.env[Env.MESSAGE_RATE]?.trim().toLowerCase();
  if (rateText === 'off' || rateText === '0') return undefined;
  const perSecond = rateText ? Number(rateText) : DEFAULT_MESSAGE_RATE;
  if (!Number.isFinite(perSecond) || perSecond <= 0) {
    throw new GripConfigError(
      `${Env.MESSAGE_RATE} is ${JSON.stringify(rateText)}: give messages per second (a positive number), or off`,
    );
  }
  const burstText = process.env[Env.MESSAGE_BURST]?.trim();
  const burst = burstText ? Number(burstText) : DEFAULT_MESSAGE_BURST;
  if (!Number.isInteger(burst) || burst < 1) {
    throw new GripConfigError(
      `${Env.MESSAGE_BURST} is ${JSON.stringify(burstText)}: give a whole number of messages >= 1`,
    );
  }
  return { perSecond, burst };
}

/** `FAAS_GRIP_FLOW_CONTROL`: `auto` (default), `on` or `off`. @throws GripConfigError for another value. */
export function flowControlSetting(): FlowControlSetting {
  const text = process.env[Env.FLOW_CONTROL]?.trim().toLowerCase() || 'auto';
  if (text === 'auto' || text === 'on' || text === 'off') return text;
  throw new GripConfigError(`${Env.FLOW_CONTROL} is ${JSON.stringify(text)}: use auto, on or off`);
}

/**
 * True when the proxy that sent a request honours `Content-Bytes-Accepted`. `auto` reads Pushpin's `Grip-Feature`
 * request header: no header names the feature itself, but `link:gone` came in the same release (1.41.0), so its
 * presence identifies a proxy with flow control. Pushpin 1.36 (and every release before 1.41) lacks it.
 */
export function proxySupportsFlowControl(
  headers: Readonly<Record<string, string>>,
  setting: FlowControlSetting = flowControlSetting(),
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
