/**
 * Long-polling example: `GET /<channel>` (or `?channel=`) is held by the GRIP proxy until something is published
 * to that channel as `HttpResponseFormat` (that response is released to the client), or until the proxy's
 * timeout (55 s by default), when `request timed out` is released instead. `Grip-Sig` is verified first.
 *
 * On a durable channel, `?after=<offset>&epoch=<epoch>` reads from the channel's log: newer messages are answered
 * at once (JSON: `{"fg":1,"channel","recovered","epoch","offset","messages":[...]}`), otherwise the request is
 * held until the next one; the answer's `offset` and `epoch` are the next request's `after` and `epoch`.
 */

import { httpHoldHandler } from '../aws/http-hold-handler';
import { isDurableChannel } from '../channels/durable';
import { durableLongPoll, parseEventId } from '../channels/durable-holds';
import { runtimeSettings } from '../core/settings';
import { holdResponse } from '../grip/hold';

/** The long-poll example's Lambda handler. */
export const handler = httpHoldHandler('poll', ({ request, channel, name, prefix }) => {
  const after = request.query.after;
  if (after !== undefined && runtimeSettings().channelLogTable && isDurableChannel(name)) {
    const position = parseEventId(`${request.query.epoch ?? ''}:${after}`);
    return durableLongPoll({ channel: name, prefix, position });
  }
  return holdResponse({ channels: [channel], body: 'request timed out\n' });
});
