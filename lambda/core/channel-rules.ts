/**
 * Who may use which channel: the `authorize({ user, channel, action })` hook the channel protocol (and an
 * application's own commands) ask before a subscribe, a history or presence read, or a publish, and the built-in
 * rules most applications need:
 * - private channels, open only to listed users (`"staff": ["alice", "bob"]`, or `group:<name>` for members of a
 *   Cognito or OIDC group);
 * - per-user channels, `user:<sub>` open only to that user.
 * Everything else is open. The rules are read from FAAS_GRIP_PRIVATE_CHANNELS and FAAS_GRIP_USER_CHANNEL_PREFIX when
 * not given. A refusal is the caller's to answer: the protocol sends an `error` frame with code `forbidden` and
 * changes nothing.
 */
import { MetricName } from '../contract';
import type { VerifiedUser } from './identity';
import { countMetric } from './metrics';
import { channelPattern, runtimeSettings } from './settings';

/** What a connection asks to do with a channel: read it (subscribe, history, presence) or publish to it. */
export type ChannelAction = 'subscribe' | 'publish';

/** One question to the rules. */
export interface AuthorizeRequest {
  /** The connection's verified user; undefined when identity is off or the caller has none. */
  readonly user: VerifiedUser | undefined;
  readonly channel: string;
  readonly action: ChannelAction;
  /**
   * The precise operation (`subscribe`, `fetch`, `history`, `presence`, `publish`, `hold` for an HTTP stream, SSE
   * or long-poll, or the application's).
   */
  readonly op: string;
}

/** The rule hook: true allows. */
export type AuthorizeFunction = (request: AuthorizeRequest) => boolean | Promise<boolean>;

/** The built-in rules' settings. */
export interface ChannelRulesOptions {
  /**
   * Channel-name patterns (`*` any run of characters) open only to the listed users: a `sub`, or `group:<name>`
   * for a member of that group (the `groups` or `cognito:groups` claim).
   * @default - FAAS_GRIP_PRIVATE_CHANNELS, else none
   */
  readonly privateChannels?: Readonly<Record<string, readonly string[]>>;
  /**
   * Prefix of per-user channels: `<prefix><sub>` is open only to the user `<sub>`; empty turns them off.
   * @default - FAAS_GRIP_USER_CHANNEL_PREFIX, else `user:`
   */
  readonly userChannelPrefix?: string;
}

/** The built-in rules as an {@link AuthorizeFunction}. */
export function channelRules(options: ChannelRulesOptions = {}): AuthorizeFunction {
  const settings = runtimeSettings();
  const prefix = options.userChannelPrefix ?? settings.userChannelPrefix;
  const entries = Object.entries(options.privateChannels ?? settings.privateChannels).map(
    ([pattern, members]) => [channelPattern(pattern), new Set(members)] as const,
  );
  return ({ user, channel }) => {
    if (prefix !== '' && channel.startsWith(prefix)) return user !== undefined && channel === prefix + user.sub;
    for (const [pattern, members] of entries) {
      if (!pattern.test(channel)) continue;
      if (user === undefined) return false;
      if (members.has(user.sub)) return true;
      return groupsOf(user).some((group) => members.has(`group:${group}`));
    }
    return true;
  };
}

/**
 * Asks `authorize` (the built-in rules by default) and counts a refusal (ChannelForbidden). A rule that throws
 * refuses.
 */
export async function isAllowed(
  request: AuthorizeRequest,
  authorize: AuthorizeFunction = defaultRules(),
): Promise<boolean> {
  let allowed = false;
  try {
    allowed = (await authorize(request)) === true;
  } catch {
    allowed = false;
  }
  if (!allowed) countMetric(MetricName.CHANNEL_FORBIDDEN);
  return allowed;
}

let cached: { readonly settings: object; readonly rules: AuthorizeFunction } | undefined;

/** The built-in rules from the environment (one per container while the settings hold). */
export function defaultRules(): AuthorizeFunction {
  const settings = runtimeSettings();
  if (cached?.settings !== settings) cached = { settings, rules: channelRules() };
  return cached.rules;
}

function groupsOf(user: VerifiedUser): string[] {
  const out: string[] = [];
  for (const claim of ['groups', 'cognito:groups']) {
    const value = user.claims[claim];
    if (Array.isArray(value)) for (const g of value) if (typeof g === 'string') out.push(g);
  }
  return out;
}
