/**
 * HTTP streaming example: `GET /<channel>` (or `?channel=`) is held open by the GRIP proxy as a stream
 * subscribed to that channel; publish `HttpStreamFormat` to it to append data. With `Accept: text/event-stream`
 * the stream is Server-Sent Events (publish `formatServerSentEvent(...)` text) with a comment keep-alive every
 * 20 seconds of silence. `Grip-Sig` is verified first.
 */

import { httpHoldHandler } from '../aws/http-hold-handler';
import { holdEventStream, holdStream } from '../grip/hold';

/** Seconds of silence after which the SSE stream gets a keep-alive comment. */
export const SSE_KEEP_ALIVE_SECONDS = 20;

/** The stream example's Lambda handler. */
export const handler = httpHoldHandler('stream', ({ request, channel }) => {
  if ((request.headers.accept ?? '').includes('text/event-stream')) {
    return holdEventStream({
      channels: [channel],
      body: ': stream opened\n\n',
      keepAlive: { content: ':\n\n', timeout: SSE_KEEP_ALIVE_SECONDS },
    });
  }
  return holdStream({ channels: [channel], body: 'stream opened, prepare yourself!\n' });
});
