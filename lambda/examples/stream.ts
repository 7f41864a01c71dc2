/**
 * HTTP streaming example: `GET /<channel>` (or `?channel=`) is held open by the GRIP proxy as a stream
 * subscribed to that channel; publish `HttpStreamFormat` to it to append data. With `Accept: text/event-stream`
 * the stream is Server-Sent Events (publish `formatServerSentEvent(...)` text) with a comment keep-alive every
 * 20 seconds of silence. `Grip-Sig` is verified first.
 *
 * On a durable channel (a channel log is configured) the SSE stream follows the channel's log: every publish
 * arrives as an event whose id is its position, a client that reconnects with `Last-Event-ID` first gets what it
 * missed, and the proxy fills a missed publish itself through the next link (durable-holds.ts).
 */

import { httpHoldHandler } from '../aws/http-hold-handler';
import { isDurableChannel } from '../channels/durable';
import { durableEventStream } from '../channels/durable-holds';
import { runtimeSettings } from '../core/settings';
import { holdEventStream, holdStream } from '../grip/hold';

/** Seconds of silence after which the SSE stream gets a keep-alive comment. */
export const SSE_KEEP_ALIVE_SECONDS = 20;

/** The stream example's Lambda handler. */
export const handler = httpHoldHandler('stream', ({ request, channel, name, prefix }) => {
  const nextLink = request.headers['grip-last'] !== undefined || request.query.epoch !== undefined;
  if ((request.headers.accept ?? '').includes('text/event-stream') || nextLink) {
    if (runtimeSettings().channelLogTable && isDurableChannel(name)) {
      return durableEventStream({ channel: name, prefix, request, keepAliveSeconds: SSE_KEEP_ALIVE_SECONDS });
    }
    return holdEventStream({
      channels: [channel],
      body: ': stream opened\n\n',
      keepAlive: { content: ':\n\n', timeout: SSE_KEEP_ALIVE_SECONDS },
    });
  }
  return holdStream({ channels: [channel], body: 'stream opened, prepare yourself!\n' });
});
