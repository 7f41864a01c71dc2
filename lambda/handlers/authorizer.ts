/**
 * A REQUEST authorizer for the native WebSocket API's `$connect` route. Browsers cannot set headers on
 * `new WebSocket()`, so the client passes a shared token in the query string: `wss://.../stage?token=...`.
 *
 * The expected token is `FAAS_GRIP_AUTHORIZER_TOKEN`, or the value of the Secrets Manager secret named by
 * `FAAS_GRIP_AUTHORIZER_TOKEN_SECRET_ARN` (loaded on first use, kept for five minutes). The comparison takes
 * the same time whatever the input. Anything missing or wrong yields a Deny policy, never an error, so the
 * client gets 403 and no detail; the reason is logged without the token.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { readSecret } from '../aws/secrets';
import { Env } from '../contract';
import { logger } from '../core/logger';
import { runtimeSettings } from '../core/settings';

/** The fields of an API Gateway WebSocket REQUEST authorizer event this handler reads. */
export interface ConnectAuthorizerEvent {
  /** ARN of the `$connect` method being authorized; the policy grants or denies exactly this. */
  readonly methodArn: string;
  /** Query string of the connection request; `token` is compared. */
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
}

/** The IAM policy API Gateway expects back from a Lambda authorizer. */
export interface AuthorizerResult {
  readonly principalId: string;
  readonly policyDocument: {
    readonly Version: '2012-10-17';
    readonly Statement: readonly [
      { readonly Action: 'execute-api:Invoke'; readonly Effect: 'Allow' | 'Deny'; readonly Resource: string },
    ];
  };
}

const PRINCIPAL = 'faas-grip-client';

function policy(effect: 'Allow' | 'Deny', resource: string): AuthorizerResult {
  return {
    principalId: PRINCIPAL,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
  };
}

async function expectedToken(): Promise<string | undefined> {
  const { value, secretArn } = runtimeSettings().authorizerToken;
  return secretArn ? readSecret(secretArn) : value;
}

/** Compares two strings in constant time (digests of equal length, so the length leaks nothing either). */
export function tokensMatch(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/**
 * The authorizer's Lambda handler: Allow when the `token` query parameter equals the configured token.
 *
 * @example
 * // CDK: new WebSocketLambdaAuthorizer('Token', fn, { identitySource: ['route.request.querystring.token'] })
 */
export async function handler(event: ConnectAuthorizerEvent): Promise<AuthorizerResult> {
  let expected: string | undefined;
  try {
    expected = await expectedToken();
  } catch (error) {
    logger.error('authorizer could not read its token secret; denying', { error });
    return policy('Deny', event.methodArn);
  }
  if (!expected) {
    logger.error(
      `authorizer has no token configured; set ${Env.AUTHORIZER_TOKEN} or ${Env.AUTHORIZER_TOKEN_SECRET_ARN} ` +
        '(a secret with a non-empty value); denying',
    );
    return policy('Deny', event.methodArn);
  }
  const given = event.queryStringParameters?.token;
  if (given === undefined || !tokensMatch(given, expected)) {
    logger.warn('connection refused by the authorizer', {
      reason: given === undefined ? 'no token query parameter' : 'token does not match',
    });
    return policy('Deny', event.methodArn);
  }
  return policy('Allow', event.methodArn);
}
