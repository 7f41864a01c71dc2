/** Media-type matching the way API Gateway applies `binaryMediaTypes`. */

/** The `type/subtype` of a Content-Type or Accept entry, lower-cased, without parameters. */
export function essence(mediaType: string | undefined): string {
  return (mediaType ?? '').split(';')[0].trim().toLowerCase();
}

/** Whether `mediaType` matches one of `patterns` (`type/subtype`, `type/*` or `*\/*`). */
export function matchesMediaType(mediaType: string | undefined, patterns: readonly string[]): boolean {
  const value = essence(mediaType);
  if (!value.includes('/')) return false;
  const [type] = value.split('/');
  return patterns.some((pattern) => {
    const p = essence(pattern);
    return p === '*/*' || p === value || p === `${type}/*`;
  });
}

/** The first media type of an Accept header, as API Gateway reads it to decide whether to decode a binary body. */
export function firstAcceptType(accept: string | undefined): string | undefined {
  const first = (accept ?? '').split(',')[0];
  return first.trim() === '' ? undefined : essence(first);
}

const TEXT_TYPES = [
  'application/json',
  'application/javascript',
  'application/xml',
  'application/yaml',
  'application/x-www-form-urlencoded',
];

/** Whether HTTP API and Function URL events carry a body of this type as text (otherwise base64). */
export function isTextMediaType(mediaType: string | undefined): boolean {
  const value = essence(mediaType);
  return value.startsWith('text/') || TEXT_TYPES.includes(value) || value.endsWith('+json') || value.endsWith('+xml');
}
