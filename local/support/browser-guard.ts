/**
 * Refuses requests a web page made. The local servers listen on loopback, and any page open in the developer's
 * browser can send requests there (a `no-cors` POST needs no permission), so the servers that no page should call
 * (the Lambda Invoke and management APIs, the publish gate) refuse every request carrying the marks browsers put on
 * cross-origin requests: an `Origin` other than the server's own, or `Sec-Fetch-Site` other than `same-origin` or
 * `none`. Browsers set both headers themselves; a page cannot remove them. Clients that are not browsers (the AWS
 * SDK, Pushpin, curl) send neither and are not affected.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Status and error type of a refused browser request (API Gateway's answer to a forbidden request). */
export const BROWSER_REFUSED_STATUS = 403;

/** Why `req` is refused as a cross-origin browser request, or `undefined` when it is not one. */
export function crossOriginReason(
  req: Pick<IncomingMessage, 'headers'>,
  ownOrigins: readonly string[] = [],
): string | undefined {
  const origin = single(req.headers.origin);
  if (origin !== undefined && !ownOrigins.includes(origin)) {
    return `requests from web pages are refused (Origin ${origin}); call this local endpoint from a program, not a page`;
  }
  const site = single(req.headers['sec-fetch-site']);
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return `requests from web pages are refused (Sec-Fetch-Site ${site}); call this local endpoint from a program`;
  }
  return undefined;
}

/**
 * Answers 403 and returns true when `req` is a cross-origin browser request; returns false otherwise, leaving the
 * response untouched. The body is drained so the connection can be reused.
 */
export function refuseBrowserRequest(
  req: IncomingMessage,
  res: ServerResponse,
  ownOrigins: readonly string[] = [],
): boolean {
  const reason = crossOriginReason(req, ownOrigins);
  if (reason === undefined) return false;
  req.resume();
  const body = JSON.stringify({ message: reason });
  res.writeHead(BROWSER_REFUSED_STATUS, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-ErrorType': 'ForbiddenException',
  });
  res.end(body);
  return true;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
