/**
 * WebSocket route selection as API Gateway does it with a `$request.body.<path>` expression: a JSON message whose
 * selected value names an existing route goes to that route; everything else goes to `$default`.
 */

/** The default route selection expression of WebSocket APIs. */
export const DEFAULT_ROUTE_SELECTION = '$request.body.action';

/** The route key for `body`. */
export function selectRoute(
  body: string,
  routes: ReadonlySet<string>,
  expression: string = DEFAULT_ROUTE_SELECTION,
): string {
  const match = /^\$request\.body\.(.+)$/.exec(expression);
  if (!match) return '$default';
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return '$default';
  }
  for (const key of match[1].split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return '$default';
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return '$default';
  const key = String(value);
  return routes.has(key) ? key : '$default';
}
