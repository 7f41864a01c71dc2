/**
 * A function's environment, as its template writes it, turned into local values: a table's `Ref` becomes the local
 * table's name, its `Arn` a local ARN, a WebSocket API's callback (`https://{api}.execute-api.{region}.{suffix}/
 * {stage}`) the local management endpoint and its `wss://` URL the local WebSocket URL, pseudo parameters their
 * local values. What cannot be resolved (a secret, another service) is reported by name, unless the user's values
 * file gives it.
 */
import type { AppModel, TemplateValue } from './app-model';
import { evaluate } from './intrinsics';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, pseudo } from './template-parameters';

/** The local facts references resolve to (the region and account are LOCAL_REGION and LOCAL_ACCOUNT_ID). */
export interface LocalFacts {
  /** Local table name by table id (`<stack>/<logical id>`). */
  readonly tableNames: ReadonlyMap<string, string>;
  /** By WebSocket API id: its local management endpoint and WebSocket URL. */
  readonly apiEndpoints: ReadonlyMap<string, { readonly management: string; readonly url: string }>;
}

/** A resolved environment, and the variables that could not be. */
export interface ResolvedEnvironment {
  readonly values: Record<string, string>;
  /** `VARIABLE: why`, for each variable left out. */
  readonly unresolved: string[];
}

const API_MARKER = 'faas-grip-dev-api-';

/** Resolves `environment` of a function of `stack`; `given` values (the user's file) win over the template. */
export function resolveEnvironment(
  stack: string,
  environment: Readonly<Record<string, TemplateValue>>,
  model: AppModel,
  facts: LocalFacts,
  given: Readonly<Record<string, string>> = {},
): ResolvedEnvironment {
  const values: Record<string, string> = {};
  const unresolved: string[] = [];
  for (const [name, value] of Object.entries(environment)) {
    if (given[name] !== undefined) {
      values[name] = given[name];
      continue;
    }
    const resolved = resolve(value, stack, model, facts);
    if (resolved === undefined) unresolved.push(`${name}: ${describe(value)} (give it in the values file)`);
    else values[name] = localized(resolved, stack, facts);
  }
  return { values, unresolved };
}

/** `value` with every name a local value, or undefined when one has none here. */
function resolve(value: unknown, stack: string, model: AppModel, facts: LocalFacts): string | undefined {
  return evaluate(value, {
    ref: (name) => refValue(name, stack, model, facts),
    getAtt: (logicalId, attribute) => {
      if (attribute !== 'Arn') return undefined;
      const table = facts.tableNames.get(`${stack}/${logicalId}`);
      if (table !== undefined) return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:table/${table}`;
      if (model.functions.has(`${stack}/${logicalId}`)) {
        return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${logicalId}`;
      }
      return undefined;
    },
  });
}

function refValue(ref: string, stack: string, model: AppModel, facts: LocalFacts): string | undefined {
  const pseudoValue = pseudo(ref, stack);
  if (pseudoValue !== undefined) return pseudoValue;
  const parameter = model.parameters.get(stack)?.[ref];
  if (parameter !== undefined) return parameter;
  const table = facts.tableNames.get(`${stack}/${ref}`);
  if (table !== undefined) return table;
  if (facts.apiEndpoints.has(`${stack}/${ref}`)) return `${API_MARKER}${stack}/${ref}`;
  // A stage's name, when the template refers to the stage resource.
  const resource = model.templates.get(stack)?.Resources?.[ref];
  if (resource?.Type === 'AWS::ApiGatewayV2::Stage') {
    return resource.Properties?.StageName === undefined
      ? ref
      : resolve(resource.Properties.StageName, stack, model, facts);
  }
  if (model.functions.has(`${stack}/${ref}`)) return ref;
  return undefined;
}

/** A resolved value that names a WebSocket API's endpoint becomes the local one. */
function localized(value: string, stack: string, facts: LocalFacts): string {
  const match = new RegExp(`^(https|wss)://${API_MARKER}([^.]+)\\.execute-api\\.[^/]+(?:/.*)?$`).exec(value);
  if (!match) return value.includes(API_MARKER) ? value.split(API_MARKER).join('') : value;
  const endpoints = facts.apiEndpoints.get(match[2]) ?? facts.apiEndpoints.get(`${stack}/${match[2]}`);
  if (endpoints === undefined) return value;
  return match[1] === 'https' ? endpoints.management : endpoints.url;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
