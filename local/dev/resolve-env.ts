/**
 * A function's environment, as its template writes it, turned into local values: a table's `Ref` becomes the local
 * table's name, its `Arn` a local ARN, a WebSocket API's callback (`https://{api}.execute-api.{region}.{suffix}/
 * {stage}`) the local management endpoint and its `wss://` URL the local WebSocket URL, pseudo parameters their
 * local values. What cannot be resolved (a secret, another service) is reported by name, unless the user's values
 * file gives it.
 */
import type { AppModel, TemplateValue } from './app-model';
import { pseudo } from './template-parameters';

/** The local facts references resolve to. */
export interface LocalFacts {
  readonly region: string;
  readonly accountId: string;
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

const UNRESOLVED = Symbol('unresolved');
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
    if (resolved === UNRESOLVED) unresolved.push(`${name}: ${describe(value)} (give it in the values file)`);
    else values[name] = localized(resolved, stack, facts);
  }
  return { values, unresolved };
}

function resolve(value: unknown, stack: string, model: AppModel, facts: LocalFacts): string | typeof UNRESOLVED {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'object' || value === null) return UNRESOLVED;
  const o = value as Record<string, unknown>;
  if (typeof o.Ref === 'string') return refValue(o.Ref, stack, model, facts);
  if (Array.isArray(o['Fn::GetAtt'])) {
    const [logicalId, attribute] = o['Fn::GetAtt'] as [string, string];
    const table = facts.tableNames.get(`${stack}/${logicalId}`);
    if (table !== undefined && attribute === 'Arn') {
      return `arn:aws:dynamodb:${facts.region}:${facts.accountId}:table/${table}`;
    }
    if (model.functions.has(`${stack}/${logicalId}`) && attribute === 'Arn') {
      return `arn:aws:lambda:${facts.region}:${facts.accountId}:function:${logicalId}`;
    }
    return UNRESOLVED;
  }
  if (o['Fn::Sub'] !== undefined) return substitute(o['Fn::Sub'], stack, model, facts);
  if (Array.isArray(o['Fn::Join'])) {
    const [separator, parts] = o['Fn::Join'] as [unknown, unknown];
    if (typeof separator !== 'string') return UNRESOLVED;
    // A list parameter (List<...>, CommaDelimitedList) joins its items.
    const whole = Array.isArray(parts) ? undefined : resolve(parts, stack, model, facts);
    if (whole === UNRESOLVED) return UNRESOLVED;
    const items = Array.isArray(parts) ? parts : (whole as string).split(',');
    const resolved = items.map((part) => resolve(part, stack, model, facts));
    return resolved.includes(UNRESOLVED) ? UNRESOLVED : (resolved as string[]).join(separator);
  }
  return UNRESOLVED;
}

/** `Fn::Sub`: `${Name}` as a `Ref`, `${Name.Attribute}` as a `Fn::GetAtt`, `${!Text}` as the literal `${Text}`. */
function substitute(sub: unknown, stack: string, model: AppModel, facts: LocalFacts): string | typeof UNRESOLVED {
  const [text, variables] = (Array.isArray(sub) ? sub : [sub, {}]) as [unknown, Record<string, unknown> | undefined];
  if (typeof text !== 'string') return UNRESOLVED;
  let failed = false;
  const result = text.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    const given = variables?.[name];
    const dot = name.indexOf('.');
    const value =
      given !== undefined
        ? resolve(given, stack, model, facts)
        : dot > 0 && !name.startsWith('AWS::')
          ? resolve({ 'Fn::GetAtt': [name.slice(0, dot), name.slice(dot + 1)] }, stack, model, facts)
          : refValue(name, stack, model, facts);
    if (value === UNRESOLVED) failed = true;
    return value === UNRESOLVED ? whole : value;
  });
  return failed ? UNRESOLVED : result;
}

function refValue(ref: string, stack: string, model: AppModel, facts: LocalFacts): string | typeof UNRESOLVED {
  if (ref === 'AWS::Region') return facts.region;
  if (ref === 'AWS::AccountId') return facts.accountId;
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
  return UNRESOLVED;
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
