/**
 * Long-polling example: `GET /<channel>` (or `?channel=`) is held by the GRIP proxy until something is published
 * to that channel as `HttpResponseFormat` (that response is released to the client), or until the proxy's
 * timeout (55 s by default), when `request timed out` is released instead. `Grip-Sig` is verified first.
 */

import { httpHoldHandler } from '../aws/http-hold-handler';
import { holdResponse } from '../grip/hold';

/** The long-poll example's Lambda handler. */
export const handler = httpHoldHandler('poll', ({ channel }) =>
  holdResponse({ channels: [channel], body: 'request timed out\n' }),
);
