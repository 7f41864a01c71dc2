/**
 * Typed errors of the runtime. Every error a user can meet is one of these, with a message that says
 * what was wrong and what to do.
 */

/**
 * Base class of every error faas-grip-cdk raises. Each class names itself in a literal, so the name survives
 * minified bundles.
 */
export class FaasGripError extends Error {
  override name = 'FaasGripError';
}

/** A WebSocket-over-HTTP body that does not follow the `application/websocket-events` framing. */
export class WebSocketEventDecodeError extends FaasGripError {
  override name = 'WebSocketEventDecodeError';
}

/** A request that is not a WebSocket-over-HTTP request (wrong method, content type or missing Connection-Id). */
export class NotWebSocketOverHttpError extends FaasGripError {
  override name = 'NotWebSocketOverHttpError';
}

/** A request whose Grip-Sig is missing, malformed, expired or signed with the wrong key or algorithm. */
export class GripSignatureError extends FaasGripError {
  override name = 'GripSignatureError';
}

/** A configuration that cannot be used: a malformed GRIP_URL, an unset secret, a missing verify key. */
export class GripConfigError extends FaasGripError {
  override name = 'GripConfigError';
}

/** A Secrets Manager secret that exists but has no value yet. */
export class SecretNotSetError extends GripConfigError {
  override name = 'SecretNotSetError';
}

/** Meta that cannot be carried in headers: a bad name, or more than the size cap. */
export class MetaError extends FaasGripError {
  override name = 'MetaError';
}

/** Output over a protocol limit: a response body over 1,000,000 bytes or a control message over 16 KiB. */
export class OutputLimitError extends FaasGripError {
  override name = 'OutputLimitError';
}

/** A context method called in a state where it cannot work, such as `accept()` on a non-opening request. */
export class WebSocketStateError extends FaasGripError {
  override name = 'WebSocketStateError';
}

/** A context method the connection's transport cannot honour (for example `detach()` on native). */
export class TransportNotSupportedError extends FaasGripError {
  override name = 'TransportNotSupportedError';
}

/** A header value or channel name that would corrupt the protocol (CR, LF, separators). */
export class InvalidValueError extends FaasGripError {
  override name = 'InvalidValueError';
}

/** One proxy or target that a publish did not reach, and why. */
export interface PublishFailure {
  /** The proxy's control URI (without credentials) or the native target's name. */
  readonly target: string;
  /** What went wrong. */
  readonly cause: Error;
}

/** What a publish reached (and, in `PublishError.partial`, what a failed publish delivered all the same). */
export interface PublishResult {
  /** Number of GRIP proxies that accepted the publish. */
  readonly proxies: number;
  /** A durable publish: the message's offset in the channel's log. */
  readonly offset?: number;
  /** A durable publish: the epoch of the channel's log. */
  readonly epoch?: string;
  /** The native fan-out, when native subscribers are configured and the publish has a `ws-message` format. */
  readonly native?: {
    /** Messages API Gateway accepted. */
    readonly delivered: number;
    /** Subscribers that were gone (and were removed). */
    readonly gone: number;
    /** Subscribers the message did not reach. */
    readonly failed: number;
    /** Subscribers whose post was sent but not answered in time: it may have reached them (never sent twice). */
    readonly unknown: number;
    /** Subscribers still opening that refused the post: they joined as it went out (not a failure). */
    readonly opening: number;
    /** False when not every subscriber was listed (the listing failed, or the deadline came first). */
    readonly complete: boolean;
    /**
     * Shard invocations the channel's members past the fan-out threshold were handed to (0 when none): the counts
     * above are this invocation's part, the shards report theirs as metrics (FanOutDelivered, FanOutGone,
     * FanOutFailed, FanOutLastDeliveryMs).
     */
    readonly shards: number;
  };
}

/** A publish that did not reach every target; lists each failed target and its cause. */
export class PublishError extends FaasGripError {
  override name = 'PublishError';
  readonly failures: readonly PublishFailure[];
  /** What was delivered all the same, when known: a retry of the whole publish repeats those deliveries. */
  partial?: PublishResult;
  constructor(failures: readonly PublishFailure[]) {
    super(
      `publish failed on ${failures.length} target(s): ${failures
        .map((f) => `${f.target}: ${f.cause.message}`)
        .join('; ')}`,
    );
    this.failures = failures;
  }
}

/** A connection store operation that failed after retries. */
export class ConnectionStoreError extends FaasGripError {
  override name = 'ConnectionStoreError';
}

/** A call on the channel log's table (FAAS_GRIP_CHANNEL_LOG_TABLE) that failed: nothing was appended or read. */
export class ChannelLogError extends FaasGripError {
  override name = 'ChannelLogError';
  /**
   * When one append of several failed: the messages appended before it (`LoggedMessage`s, in order), which stay in
   * the log. Empty otherwise.
   */
  appended: readonly unknown[] = [];
}

/** A call on the presence table (FAAS_GRIP_PRESENCE_TABLE) that failed. */
export class PresenceError extends FaasGripError {
  override name = 'PresenceError';
}

/**
 * A durable publish that lost the race for the channel's next offset more times than allowed (many publishers on one
 * channel at once, above the rate the log sustains). Nothing was appended: publish again (`retryable` is true).
 */
export class ChannelBusyError extends ChannelLogError {
  override name = 'ChannelBusyError';
  /** Always true: the publish can be retried as is. */
  readonly retryable = true;
}

/**
 * An outbound call that did not finish within its timeout or the invocation's deadline. `requestSent` is true when
 * the whole request had been sent: the call may then have taken effect (a message may have been delivered), so it is
 * not retried blindly.
 */
export class TimeoutError extends FaasGripError {
  override name = 'TimeoutError';
  readonly requestSent: boolean;
  constructor(message: string, options: { readonly requestSent: boolean; readonly cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.requestSent = options.requestSent;
  }
}
