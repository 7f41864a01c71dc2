/**
 * The single- and multi-value maps API Gateway's payload 1.0 events carry headers and query strings in (REST API
 * proxy events, WebSocket API events, REQUEST authorizer input): the single map keeps the last value of a name.
 */

/** Headers of a payload 1.0 event. */
export interface HeaderMaps {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
}

/** Query string parameters of a payload 1.0 event. */
export interface QueryMaps {
  queryStringParameters: Record<string, string>;
  multiValueQueryStringParameters: Record<string, string[]>;
}

/** The last value and every value of each name, in order. */
function valueMaps(pairs: Iterable<readonly [string, string]>): [Record<string, string>, Record<string, string[]>] {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of pairs) {
    single[name] = value;
    multi[name] = Object.hasOwn(multi, name) ? [...multi[name], value] : [value];
  }
  return [single, multi];
}

/** Header maps of name/value pairs, names in the case given. */
export function headerMaps(pairs: Iterable<readonly [string, string]>): HeaderMaps {
  const [headers, multiValueHeaders] = valueMaps(pairs);
  return { headers, multiValueHeaders };
}

/** Query maps of a query string without `?` (decoded as a browser's URLSearchParams does). */
export function queryMaps(rawQuery: string): QueryMaps {
  const [queryStringParameters, multiValueQueryStringParameters] = valueMaps(new URLSearchParams(rawQuery));
  return { queryStringParameters, multiValueQueryStringParameters };
}
