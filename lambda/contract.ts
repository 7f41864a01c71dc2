/**
 * The contract between the constructs (lib/) and the runtime (lambda/): environment variable names,
 * the connection table's schema, metric names and the pre-built handler assets. This is the only
 * module both sides import; it has no dependencies.
 */

/**
 * The media type of WebSocket-over-HTTP bodies: the runtime answers with it, and GripApi registers it as a
 * binary media type so API Gateway passes the bodies through byte for byte.
 */
export const WEBSOCKET_EVENTS_CONTENT_TYPE = 'application/websocket-events';

/** Environment variables the runtime reads and the constructs set. */
export const Env = {
  /** A GRIP_URL: `<control uri>?iss=..&key=..&verify-iss=..&verify-key=..` (the seed's variable). */
  GRIP_URL: 'GRIP_URL',
  /** A JSON list of GRIP_URLs or config objects, for publishing to several proxies. */
  GRIP_PROXIES: 'GRIP_PROXIES',
  /** ARN of a Secrets Manager secret whose value is a GRIP_URL or a GRIP_PROXIES JSON list. */
  GRIP_SECRET_ARN: 'GRIP_SECRET_ARN',
  /** A verify key for Grip-Sig (shared secret, `base64:...`, PEM or JWK JSON); overrides the URL's. */
  GRIP_VERIFY_KEY: 'GRIP_VERIFY_KEY',
  /** The issuer Grip-Sig tokens must carry; overrides the URL's `verify-iss`. */
  GRIP_VERIFY_ISS: 'GRIP_VERIFY_ISS',
  /** `off` turns Grip-Sig verification off (an explicit opt-out that logs a warning). */
  GRIP_SIG_VERIFY: 'GRIP_SIG_VERIFY',
  /** A prefix added to every channel name on publish and subscribe (the seed's GRIP_PREFIX). */
  GRIP_PREFIX: 'GRIP_PREFIX',
  /** Name of the DynamoDB connection table (native transport). */
  CONNECTION_TABLE: 'FAAS_GRIP_CONNECTION_TABLE',
  /** The WebSocket stage's management (callback) URL, `https://{api}.execute-api.{region}.amazonaws.com/{stage}`. */
  MANAGEMENT_ENDPOINT: 'FAAS_GRIP_MANAGEMENT_ENDPOINT',
  /** Maximum number of PostToConnection calls in flight during a fan-out. */
  FANOUT_CONCURRENCY: 'FAAS_GRIP_FANOUT_CONCURRENCY',
  /** CloudWatch namespace of the metrics the runtime emits. */
  METRICS_NAMESPACE: 'FAAS_GRIP_METRICS_NAMESPACE',
  /** Shared token the native `$connect` authorizer compares the `token` query parameter with. */
  AUTHORIZER_TOKEN: 'FAAS_GRIP_AUTHORIZER_TOKEN',
  /** ARN of a secret holding the authorizer token, read instead of AUTHORIZER_TOKEN when set. */
  AUTHORIZER_TOKEN_SECRET_ARN: 'FAAS_GRIP_AUTHORIZER_TOKEN_SECRET_ARN',
  /** Messages per second one connection may send, sustained (`off` or `0`: no limit); default 50. */
  MESSAGE_RATE: 'FAAS_GRIP_MESSAGE_RATE',
  /** Messages one connection may send at once on top of the sustained rate; default 500. */
  MESSAGE_BURST: 'FAAS_GRIP_MESSAGE_BURST',
  /** `auto` (default), `on` or `off`: hand back unread messages with Content-Bytes-Accepted (Pushpin 1.41+). */
  FLOW_CONTROL: 'FAAS_GRIP_FLOW_CONTROL',
  /** Name of the DynamoDB table holding the durable channels' logs. */
  CHANNEL_LOG_TABLE: 'FAAS_GRIP_CHANNEL_LOG_TABLE',
  /** Comma-separated channel-name patterns (`*` matches any run of characters) whose publishes are durable. */
  DURABLE_CHANNELS: 'FAAS_GRIP_DURABLE_CHANNELS',
  /** How long a durable channel keeps a message, in seconds; default 86,400 (24 hours). */
  HISTORY_MAX_AGE: 'FAAS_GRIP_HISTORY_MAX_AGE',
  /** How many of its latest messages a durable channel keeps; default 1,000. */
  HISTORY_MAX_COUNT: 'FAAS_GRIP_HISTORY_MAX_COUNT',
  /** The presence table (members of channels, on both transports). */
  PRESENCE_TABLE: 'FAAS_GRIP_PRESENCE_TABLE',
  /** Seconds without a liveness signal after which a member is stale and is removed; default 45. */
  PRESENCE_TIMEOUT: 'FAAS_GRIP_PRESENCE_TIMEOUT',
  /** Channel-name patterns whose joins and leaves are announced (`*` any run of characters); default `*`. */
  PRESENCE_EVENTS: 'FAAS_GRIP_PRESENCE_EVENTS',
  /** The OIDC issuer whose tokens connections must present (turns verified identity on); `iss` must equal it. */
  AUTH_ISSUER: 'FAAS_GRIP_AUTH_ISSUER',
  /** The issuer's JWKS URL; default `<issuer>/.well-known/jwks.json` (Cognito's). */
  AUTH_JWKS_URI: 'FAAS_GRIP_AUTH_JWKS_URI',
  /** Comma-separated audiences: a token's `aud`, or its `client_id` when it has no `aud` (Cognito access tokens). */
  AUTH_AUDIENCE: 'FAAS_GRIP_AUTH_AUDIENCE',
  /** `id` or `access`: the `token_use` a Cognito token must carry. Default: not checked. */
  AUTH_TOKEN_USE: 'FAAS_GRIP_AUTH_TOKEN_USE',
  /** Where tokens are read, in order: `protocol`, `header`, `query:<name>`, `cookie:<name>` (comma-separated). */
  AUTH_TOKEN_FROM: 'FAAS_GRIP_AUTH_TOKEN_FROM',
  /** Origins allowed to connect with a cookie token (comma-separated); required with a `cookie:` source. */
  AUTH_ORIGINS: 'FAAS_GRIP_AUTH_ORIGINS',
  /** Claims kept in `ws.user.claims` (comma-separated); default name, preferred_username, email, groups. */
  AUTH_CLAIMS: 'FAAS_GRIP_AUTH_CLAIMS',
  /** Seconds of clock difference tolerated on `exp` and `nbf`, at most 300; default 30. */
  AUTH_CLOCK_SKEW: 'FAAS_GRIP_AUTH_CLOCK_SKEW',
  /** `close` (default): an expired connection is closed with 4401; `keep`: the identity lasts the connection. */
  AUTH_EXPIRY: 'FAAS_GRIP_AUTH_EXPIRY',
  /** Channels private to listed users, as JSON: `{"<channel pattern>": ["<sub>", ...]}`. */
  PRIVATE_CHANNELS: 'FAAS_GRIP_PRIVATE_CHANNELS',
  /** Members above which a native fan-out is sharded across asynchronous invocations; default 10,000. */
  FANOUT_THRESHOLD: 'FAAS_GRIP_FANOUT_THRESHOLD',
  /** Shards of a sharded fan-out in flight at once (each one invocation at a time); default 3. */
  FANOUT_SHARDS: 'FAAS_GRIP_FANOUT_SHARDS',
  /** Members one shard invocation posts before it hands the rest of its range to the next; default 5,000. */
  FANOUT_SHARD_SIZE: 'FAAS_GRIP_FANOUT_SHARD_SIZE',
  /** Channel-name prefix of per-user channels (`<prefix><sub>` only for that user); default `user:`. */
  USER_CHANNEL_PREFIX: 'FAAS_GRIP_USER_CHANNEL_PREFIX',
} as const;

/**
 * The durable channels' log. One item per block of consecutive messages: `channel` (partition key, the channel
 * name as published, without the GRIP prefix) and `offset` (number sort key: the block's first offset; offsets run
 * from 1, strictly increasing and contiguous), with `count`, `epoch`, `messages` (a list of `{t: text}` or
 * `{b: bytes}`), `publishedAt` (epoch ms) and `expiresAt` (epoch s, the table's TTL attribute). One more item,
 * `channel` = `registryKey`, `offset` 0, holds the string set `names` of every channel that has had a message.
 */
export const ChannelLogSchema = {
  partitionKey: 'channel',
  sortKey: 'offset',
  ttlAttribute: 'expiresAt',
  registryKey: '~channels',
} as const;

/**
 * Presence: per channel (`pk` = the channel name), one item per member (`sk` = `m#<connection id>`, with
 * `transport`, `user`, `info`, `joinedAt`, `seenAt`, `expiresAt`), one per distinct user (`sk` = `u#<user>`, `count`)
 * and the counters (`sk` = `#stats`, `members`, `users`). The `byConnection` index (`sk`, `pk`, keys only) finds a
 * connection's channels when it closes. `expiresAt` (epoch s) is the TTL backstop of a leave that was lost.
 */
export const PresenceSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  connectionIndexName: 'byConnection',
} as const;

/**
 * Single-table design of the native transport's state.
 *
 * - connection item: `pk = sk = CONN#<connectionId>`, attributes `meta` (map of strings),
 *   `connectedAt` (epoch ms), `expiresAt` (epoch s), `pending` (list of messages queued during `$connect`).
 * - membership item: `pk = CHAN#<channel>`, `sk = CONN#<connectionId>`, attribute `expiresAt`.
 * - reverse index: partition key `sk`, sort key `pk`: a connection's memberships (`pk` beginning with `CHAN#`).
 *   The connection item's `sk` is its own id, so the index has one partition per connection, never a hot one.
 */
export const ConnectionTableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  reverseIndexName: 'reverse',
  /** What the reverse index holds: keys only, as its one query (a connection's channels) reads only `pk`. */
  reverseIndexProjection: 'KEYS_ONLY',
  connectionPrefix: 'CONN#',
  channelPrefix: 'CHAN#',
} as const;

/** API Gateway closes a WebSocket connection after 2 hours; items expire this long after connect. */
export const CONNECTION_TTL_SECONDS = 2 * 60 * 60 + 10 * 60;

/**
 * A character a channel name (GRIP_PREFIX included) cannot contain: control characters, and `,` `;` `"`, which
 * Grip-Channel uses as separators. The runtime refuses such channel names; the constructs refuse such a prefix.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
export const FORBIDDEN_CHANNEL_CHARACTER = /[\u0000-\u001f\u007f,;"]/;

/** Default CloudWatch namespace of the runtime's metrics. */
export const DEFAULT_METRICS_NAMESPACE = 'FaasGrip';

/** Names of the metrics the runtime emits (Embedded Metric Format), used by the constructs' `metricX()`. */
export const MetricName = {
  /** Requests refused because their Grip-Sig was missing or invalid. */
  SIGNATURE_REJECTED: 'SignatureRejected',
  /** Publishes that failed on at least one proxy. */
  PUBLISH_ERRORS: 'PublishErrors',
  /** WebSocket messages handed to user code. */
  MESSAGES_HANDLED: 'MessagesHandled',
  /** Native fan-out deliveries that succeeded. */
  FANOUT_DELIVERED: 'FanOutDelivered',
  /** Native fan-out deliveries to connections that were gone. */
  FANOUT_GONE: 'FanOutGone',
  /** Native fan-out deliveries that failed after retries. */
  FANOUT_FAILED: 'FanOutFailed',
  /** User handler errors. */
  HANDLER_ERRORS: 'HandlerErrors',
  /** Connections closed (1008) for sending over their message rate. */
  RATE_LIMITED: 'RateLimited',
  /** Messages handed back to the proxy (Content-Bytes-Accepted) or refused (1013) at the invocation's deadline. */
  MESSAGES_DEFERRED: 'MessagesDeferred',
  /** Connections refused at the handshake for a missing or invalid token, or closed (4401) for an expired one. */
  AUTH_REJECTED: 'AuthRejected',
  /** Shard invocations of sharded fan-outs that completed their part. */
  FANOUT_SHARDS_COMPLETED: 'FanOutShardsCompleted',
  /** Shard invocations that failed (retried by Lambda, then sent to the on-failure destination). */
  FANOUT_SHARD_FAILURES: 'FanOutShardFailures',
  /** Time from a sharded publish to the end of a shard's posts, ms (its Maximum: the time to the last delivery). */
  FANOUT_LAST_DELIVERY_MS: 'FanOutLastDeliveryMs',
  /** Subscribes, publishes and history reads refused by the channel rules. */
  CHANNEL_FORBIDDEN: 'ChannelForbidden',
} as const;

/** Pre-built handler bundles shipped in the package under `assets/<name>/index.js`. */
export const HandlerBundleName = {
  /** The chat on both transports (GRIP and API Gateway WebSocket). */
  CHAT: 'chat',
  /** The same chat built for the GRIP transport only: no native (DynamoDB, management API) code inside. */
  CHAT_GRIP: 'chat-grip',
  STREAM: 'stream',
  LONG_POLL: 'long-poll',
  AUTHORIZER: 'authorizer',
} as const;
