import type * as lambda from 'aws-cdk-lib/aws-lambda';

interface Claim {
  readonly value: string;
  readonly owner: string;
}

const claims = new WeakMap<lambda.Function, Map<string, Claim>>();

/**
 * Sets environment variables on a function on behalf of `owner`, refusing to silently overwrite a variable
 * another construct set to a different value (for example one function behind two WebSocket APIs).
 *
 * Error messages name the variables, never their values: a value may be a key.
 */
export function claimEnvironment(
  fn: lambda.Function,
  owner: string,
  environment: Readonly<Record<string, string>>,
): void {
  let known = claims.get(fn);
  if (known === undefined) {
    known = new Map();
    claims.set(fn, known);
  }
  for (const [name, value] of Object.entries(environment)) {
    const previous = known.get(name);
    if (previous !== undefined && previous.value !== value) {
      throw new Error(
        `${owner} cannot set ${name} on function ${fn.node.path}: ${previous.owner} already set it to another ` +
          'value. A function serves one API of each kind; give each API its own function',
      );
    }
    known.set(name, { value, owner });
    fn.addEnvironment(name, value);
  }
}
