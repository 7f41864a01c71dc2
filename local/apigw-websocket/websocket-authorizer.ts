/**
 * The `$connect` REQUEST authorizer step: identity sources, the authorizer's IAM policy, and the context that later
 * events carry in `requestContext.authorizer`.
 */
import type { HandshakeInfo } from './websocket-api-events';

/** How the authorizer step ended. */
export type AuthorizerOutcome =
  | { readonly allowed: true; readonly context: Readonly<Record<string, unknown>> }
  | { readonly allowed: false; readonly status: 401 | 403 | 500; readonly message: string };

/** Identity sources: `route.request.querystring.<name>` or `route.request.header.<name>`. */
export type IdentitySource = string;

/** Whether every identity source has a non-empty value in the handshake (API Gateway answers 401 otherwise). */
export function hasIdentity(handshake: HandshakeInfo, sources: readonly IdentitySource[]): boolean {
  const query = new URLSearchParams(handshake.rawQuery);
  return sources.every((source) => {
    const query_ = /^route\.request\.querystring\.(.+)$/.exec(source);
    if (query_) return (query.get(query_[1]) ?? '') !== '';
    const header = /^route\.request\.header\.(.+)$/.exec(source);
    if (header) return handshake.headers.some(([n, v]) => n.toLowerCase() === header[1].toLowerCase() && v !== '');
    return false;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function wildcard(pattern: string, value: string): boolean {
  const regex = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${regex}$`).test(value);
}

function statementMatches(statement: Record<string, unknown>, methodArn: string): boolean {
  const actions = asList(statement.Action);
  const resources = asList(statement.Resource);
  return actions.some((a) => wildcard(a, 'execute-api:Invoke')) && resources.some((r) => wildcard(r, methodArn));
}

/** Evaluates an authorizer's result: Allow only if an Allow statement matches `methodArn` and no Deny does. */
export function evaluateAuthorizerResult(result: unknown, methodArn: string): AuthorizerOutcome {
  const policy = isRecord(result) ? result.policyDocument : undefined;
  const statements = isRecord(policy) ? policy.Statement : undefined;
  if (!isRecord(result) || !Array.isArray(statements)) {
    return { allowed: false, status: 500, message: 'authorizer result has no policyDocument.Statement list' };
  }
  const matching = statements.filter(isRecord).filter((s) => statementMatches(s, methodArn));
  const effect = (s: Record<string, unknown>) => String(s.Effect ?? '').toLowerCase();
  if (matching.some((s) => effect(s) === 'deny') || !matching.some((s) => effect(s) === 'allow')) {
    return { allowed: false, status: 403, message: 'Forbidden' };
  }
  const context = isRecord(result.context) ? result.context : {};
  return {
    allowed: true,
    context: { ...context, principalId: result.principalId ?? null, integrationLatency: 0 },
  };
}

/** The outcome when the authorizer threw: `Unauthorized` means 401, anything else 500. */
export function authorizerFailure(error: unknown): AuthorizerOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return message === 'Unauthorized'
    ? { allowed: false, status: 401, message: 'Unauthorized' }
    : { allowed: false, status: 500, message: 'Internal server error' };
}
