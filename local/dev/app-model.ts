/**
 * What `faas-grip-cdk dev` runs, read from CloudFormation templates whichever tool wrote them (a CDK app's cloud
 * assembly, ./cloud-assembly.ts; a SAM or CloudFormation template file, ./template-file.ts): every WebSocket API
 * (`AWS::ApiGatewayV2::Api` with protocol WEBSOCKET) with its stage, routes, route selection expression, two-way
 * routes and REQUEST authorizer; the Lambda functions behind them with their code's directory and their environment;
 * the DynamoDB tables; and the GRIP origins. Pure reading: no server is started here.
 */
import { functionOfUri, integrationOf } from './integration-target';
import { literalValue, parameterValues } from './template-parameters';

/** A CloudFormation value as templates hold it: a literal or an intrinsic function. */
export type TemplateValue = unknown;

/** A Lambda function of the app. */
export interface AppFunction {
  /** `<stack>/<logical id>`. */
  readonly id: string;
  readonly stack: string;
  readonly logicalId: string;
  /** The construct path (`aws:cdk:path`) or the logical id, for messages. */
  readonly path: string;
  /** The directory holding its code (empty for inline code, which `dev` writes to a directory of its own). */
  readonly codeDir: string;
  /**
   * The template's inline code (`Code.ZipFile`, SAM's `InlineCode`), which `dev` writes to `index.js` in `codeDir`.
   * @default - none: the code is in `codeDir`
   */
  readonly inlineCode?: string;
  /** `file.export`, e.g. `index.handler`. */
  readonly handler: string;
  readonly runtime: string;
  /** Seconds. */
  readonly timeout: number;
  /** Its environment as the template writes it (intrinsics unresolved). */
  readonly environment: Readonly<Record<string, TemplateValue>>;
}

/** A route of a WebSocket API. */
export interface AppRoute {
  readonly routeKey: string;
  /** The function of its Lambda integration. */
  readonly functionId?: string;
  /** True when the route has a route response (a two-way route). */
  readonly twoWay: boolean;
  /** The REQUEST authorizer's function (`$connect` only). */
  readonly authorizerFunctionId?: string;
  readonly identitySource?: readonly string[];
}

/** A WebSocket API of the app. */
export interface AppWebSocketApi {
  readonly id: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly name: string;
  readonly routeSelectionExpression: string;
  readonly stageName: string;
  readonly routes: readonly AppRoute[];
}

/** A DynamoDB table of the app, with what it takes to create it locally. */
export interface AppTable {
  readonly id: string;
  readonly stack: string;
  readonly logicalId: string;
  /** Its name: the template's `TableName` (a literal or a parameter), else its logical id. */
  readonly name: string;
  readonly definition: Readonly<Record<string, unknown>>;
}

/**
 * A GRIP origin: a REST API whose function publishes and verifies through a GRIP proxy (its environment names
 * GRIP_SECRET_ARN, GRIP_URL or GRIP_PROXIES, as GripApi sets); locally, Pushpin stands in front of it.
 */
export interface AppGripOrigin {
  readonly id: string;
  readonly name: string;
  readonly functionId: string;
}

/** Everything `dev` serves. */
export interface AppModel {
  readonly apis: readonly AppWebSocketApi[];
  readonly gripOrigins: readonly AppGripOrigin[];
  readonly functions: ReadonlyMap<string, AppFunction>;
  readonly tables: ReadonlyMap<string, AppTable>;
  /** Every stack's template, by stack name (for resolving references). */
  readonly templates: ReadonlyMap<string, Template>;
  /** Each stack's parameter values (given, else the template's defaults), by stack name. */
  readonly parameters: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** What the templates hold that is not run locally, and why. */
  readonly warnings: readonly string[];
}

/** A resource of a template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** A CloudFormation template, as far as it is read here. */
export interface Template {
  readonly Parameters?: Record<string, { Type?: string; Default?: unknown }>;
  readonly Resources?: Record<string, TemplateResource>;
}

/** Where a function's code is. */
export interface CodeLocation {
  readonly codeDir: string;
  readonly inlineCode?: string;
}

/** Where a function's code is, or why it is not run locally (a container image, code in S3...). */
export type CodeLocator = (stack: string, logicalId: string, resource: TemplateResource) => CodeLocation | string;

/**
 * The model of `templates` (by stack name), with each function's code found by `codeOf` and the parameter values
 * `parameters` (given to every stack that declares the name; the others take the templates' defaults).
 * @throws Error naming a given parameter that no template declares.
 */
export function appModel(
  templates: ReadonlyMap<string, Template>,
  codeOf: CodeLocator,
  parameters: Readonly<Record<string, string>> = {},
): AppModel {
  const functions = new Map<string, AppFunction>();
  const tables = new Map<string, AppTable>();
  const apis: AppWebSocketApi[] = [];
  const gripOrigins: AppGripOrigin[] = [];
  const { values, warnings: parameterWarnings } = parameterValues(templates, parameters);
  const warnings = [...parameterWarnings];
  for (const [stack, template] of templates) {
    const resources = template.Resources ?? {};
    const params = values.get(stack) ?? {};
    const literal = (value: unknown) => literalValue(value, stack, params);
    for (const [logicalId, resource] of Object.entries(resources)) {
      const props = resource.Properties ?? {};
      const id = `${stack}/${logicalId}`;
      if (resource.Type === 'AWS::Lambda::Function') {
        const path = String(resource.Metadata?.['aws:cdk:path'] ?? id);
        const code = codeOf(stack, logicalId, resource);
        if (typeof code === 'string') {
          warnings.push(`${path}: not run locally: ${code}`);
          continue;
        }
        const handler = literal(props.Handler ?? 'index.handler');
        const runtime = literal(props.Runtime ?? '');
        if (handler === undefined || runtime === undefined) {
          warnings.push(
            `${path}: not run locally: its ${handler === undefined ? 'Handler' : 'Runtime'} is not known here`,
          );
          continue;
        }
        const timeout = Number(literal(props.Timeout ?? 3));
        if (!(timeout > 0)) warnings.push(`${path}: its Timeout is not known here: 3 seconds locally`);
        if (Array.isArray(props.Layers) && props.Layers.length > 0) {
          warnings.push(`${path}: its layers are not provided locally (bundle their code with the function)`);
        }
        functions.set(id, {
          id,
          stack,
          logicalId,
          path,
          ...code,
          handler,
          runtime,
          timeout: timeout > 0 ? timeout : 3,
          environment: ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
            {}) as Record<string, TemplateValue>,
        });
      } else if (resource.Type === 'AWS::DynamoDB::Table' || resource.Type === 'AWS::DynamoDB::GlobalTable') {
        const name = props.TableName === undefined ? logicalId : literal(props.TableName);
        if (name === undefined) warnings.push(`${id}: its TableName is not known here: named ${logicalId} locally`);
        tables.set(id, { id, stack, logicalId, name: name ?? logicalId, definition: props });
      }
    }
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type === 'AWS::ApiGatewayV2::Api' && resource.Properties?.ProtocolType === 'WEBSOCKET') {
        apis.push(webSocketApi(stack, logicalId, resources, literal, warnings));
      } else if (resource.Type === 'AWS::ApiGateway::RestApi') {
        const origin = gripOrigin(stack, logicalId, resources, functions);
        if (origin !== undefined) gripOrigins.push(origin);
      }
    }
  }
  return { apis, gripOrigins, functions, tables, templates, parameters: values, warnings };
}

/** Whether an environment (as the template writes it) has GRIP settings, as GripApi gives its function. */
export function hasGripSettings(environment: Readonly<Record<string, unknown>>): boolean {
  return ['GRIP_SECRET_ARN', 'GRIP_URL', 'GRIP_PROXIES'].some((name) => name in environment);
}

/** A REST API whose methods invoke a function with GRIP settings: a GRIP origin. */
function gripOrigin(
  stack: string,
  logicalId: string,
  resources: Resources,
  functions: ReadonlyMap<string, AppFunction>,
): AppGripOrigin | undefined {
  const fnLogicalId = Object.values(resources)
    .filter((r) => r.Type === 'AWS::ApiGateway::Method' && refOf(r.Properties?.RestApiId) === logicalId)
    .map((m) => functionOfUri((m.Properties?.Integration as { Uri?: unknown } | undefined)?.Uri, resources))
    .find((f) => f !== undefined);
  const fn = fnLogicalId === undefined ? undefined : functions.get(`${stack}/${fnLogicalId}`);
  if (fn === undefined || !hasGripSettings(fn.environment)) return undefined;
  return {
    id: `${stack}/${logicalId}`,
    name: String(resources[logicalId].Properties?.Name ?? logicalId),
    functionId: fn.id,
  };
}

type Resources = NonNullable<Template['Resources']>;

function webSocketApi(
  stack: string,
  logicalId: string,
  resources: Resources,
  literal: (value: unknown) => string | undefined,
  warnings: string[],
): AppWebSocketApi {
  const props = resources[logicalId].Properties ?? {};
  const id = `${stack}/${logicalId}`;
  const ofApi = (type: string) =>
    Object.entries(resources).filter(([, r]) => r.Type === type && refOf(r.Properties?.ApiId) === logicalId);
  const stageProps = ofApi('AWS::ApiGatewayV2::Stage')[0]?.[1].Properties;
  const stage = stageProps === undefined ? 'local' : literal(stageProps.StageName);
  if (stage === undefined) warnings.push(`${id}: its stage's name is not known here: served as "local"`);
  const routes: AppRoute[] = ofApi('AWS::ApiGatewayV2::Route').map(([, r]) => {
    const p = r.Properties ?? {};
    const routeKey = String(p.RouteKey);
    const integrationId = integrationOf(p.Target);
    const integration = integrationId === undefined ? undefined : resources[integrationId];
    const functionLogicalId = integration && functionOfUri(integration.Properties?.IntegrationUri, resources);
    if (integration !== undefined && functionLogicalId === undefined) {
      const type = String(integration.Properties?.IntegrationType ?? '');
      warnings.push(
        type === 'AWS_PROXY'
          ? `${id}: route ${routeKey}: the function of its integration is not found in the template: not run`
          : `${id}: route ${routeKey}: ${type || 'its'} integration is not run locally (Lambda proxy integrations are)`,
      );
    }
    const authorizerId = refOf(p.AuthorizerId);
    const authorizer = authorizerId === undefined ? undefined : resources[authorizerId];
    const authorizerFn = authorizer && functionOfUri(authorizer.Properties?.AuthorizerUri, resources);
    if (authorizer !== undefined && authorizerFn === undefined) {
      warnings.push(`${id}: route ${routeKey}: the function of its authorizer is not found: connections are refused`);
    }
    return {
      routeKey,
      ...(functionLogicalId ? { functionId: `${stack}/${functionLogicalId}` } : {}),
      twoWay: p.RouteResponseSelectionExpression !== undefined,
      ...(authorizerFn ? { authorizerFunctionId: `${stack}/${authorizerFn}` } : {}),
      ...(authorizer ? { identitySource: (authorizer.Properties?.IdentitySource as string[] | undefined) ?? [] } : {}),
    };
  });
  return {
    id,
    stack,
    logicalId,
    name: literal(props.Name) ?? logicalId,
    routeSelectionExpression: literal(props.RouteSelectionExpression) ?? '$request.body.action',
    stageName: stage ?? 'local',
    routes,
  };
}

/** The logical id a `{ Ref }` names. */
export function refOf(value: unknown): string | undefined {
  const ref = (value as { Ref?: unknown } | null)?.Ref;
  return typeof ref === 'string' ? ref : undefined;
}
