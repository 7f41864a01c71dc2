/**
 * What `faas-grip-cdk dev` runs, read from CloudFormation templates whichever tool wrote them (a CDK app's cloud
 * assembly, ./cloud-assembly.ts; a SAM or CloudFormation template file, ./template-file.ts): every WebSocket API
 * (`AWS::ApiGatewayV2::Api` with protocol WEBSOCKET) with its stage, routes, route selection expression, two-way
 * routes and REQUEST authorizer; the Lambda functions behind them with their code's directory and their environment;
 * the DynamoDB tables; and the GRIP origins. Pure reading: no server is started here.
 */

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
 * The model of `templates` (by stack name), with each function's code found by `codeOf` and the stacks' parameter
 * values `parameters` (by stack; missing ones take the template's defaults).
 * @throws Error naming a parameter that has neither a value nor a default.
 */
export function appModel(
  templates: ReadonlyMap<string, Template>,
  codeOf: CodeLocator,
  parameters: ReadonlyMap<string, Readonly<Record<string, string>>> = new Map(),
): AppModel {
  const functions = new Map<string, AppFunction>();
  const tables = new Map<string, AppTable>();
  const apis: AppWebSocketApi[] = [];
  const warnings: string[] = [];
  const values = new Map<string, Record<string, string>>();
  for (const [stack, template] of templates) {
    values.set(stack, parameterValues(stack, template, parameters.get(stack) ?? {}));
  }
  for (const [stack, template] of templates) {
    const resources = template.Resources ?? {};
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
        functions.set(id, {
          id,
          stack,
          logicalId,
          path,
          ...code,
          handler: String(props.Handler ?? 'index.handler'),
          runtime: String(props.Runtime ?? ''),
          timeout: Number(props.Timeout ?? 3),
          environment: ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
            {}) as Record<string, TemplateValue>,
        });
      } else if (resource.Type === 'AWS::DynamoDB::Table' || resource.Type === 'AWS::DynamoDB::GlobalTable') {
        const parameter = refOf(props.TableName);
        const name =
          typeof props.TableName === 'string'
            ? props.TableName
            : parameter !== undefined
              ? values.get(stack)?.[parameter]
              : undefined;
        tables.set(id, { id, stack, logicalId, name: name ?? logicalId, definition: props });
      }
    }
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::ApiGatewayV2::Api' || resource.Properties?.ProtocolType !== 'WEBSOCKET') continue;
      apis.push(webSocketApi(stack, logicalId, resources, values.get(stack) ?? {}));
    }
  }
  const gripOrigins: AppGripOrigin[] = [];
  for (const [stack, template] of templates) {
    const resources = template.Resources ?? {};
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::ApiGateway::RestApi') continue;
      const methods = Object.values(resources).filter(
        (r) => r.Type === 'AWS::ApiGateway::Method' && refOf(r.Properties?.RestApiId) === logicalId,
      );
      const fnLogicalId = methods
        .map((m) => functionOfUri((m.Properties?.Integration as { Uri?: unknown } | undefined)?.Uri))
        .find((f) => f !== undefined);
      const fn = fnLogicalId === undefined ? undefined : functions.get(`${stack}/${fnLogicalId}`);
      if (fn === undefined || !GRIP_VARIABLES.some((v) => v in fn.environment)) continue;
      gripOrigins.push({
        id: `${stack}/${logicalId}`,
        name: String(resource.Properties?.Name ?? logicalId),
        functionId: fn.id,
      });
    }
  }
  return { apis, gripOrigins, functions, tables, templates, parameters: values, warnings };
}

/** The variables that make a function a GRIP origin's. */
const GRIP_VARIABLES = ['GRIP_SECRET_ARN', 'GRIP_URL', 'GRIP_PROXIES'];

type Resources = NonNullable<Template['Resources']>;

function parameterValues(
  stack: string,
  template: Template,
  given: Readonly<Record<string, string>>,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    const value = given[name] ?? parameter.Default;
    // CDK's asset and bootstrap parameters have SSM defaults or none; only what a function can read matters.
    if (value === undefined) {
      if (name.startsWith('AssetParameters') || name === 'BootstrapVersion') continue;
      throw new Error(`${stack}: parameter ${name} has no default: give it (--parameter ${name}=VALUE)`);
    }
    values[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  for (const name of Object.keys(given)) {
    if (!(name in values)) throw new Error(`${stack}: the template has no parameter ${name}`);
  }
  return values;
}

function webSocketApi(
  stack: string,
  logicalId: string,
  resources: Resources,
  parameters: Readonly<Record<string, string>>,
): AppWebSocketApi {
  const props = resources[logicalId].Properties ?? {};
  const ofApi = (type: string) =>
    Object.entries(resources).filter(([, r]) => r.Type === type && refOf(r.Properties?.ApiId) === logicalId);
  const stageName = ofApi('AWS::ApiGatewayV2::Stage')[0]?.[1].Properties?.StageName;
  const stage = refOf(stageName) === undefined ? stageName : parameters[refOf(stageName) as string];
  const routes: AppRoute[] = ofApi('AWS::ApiGatewayV2::Route').map(([, r]) => {
    const p = r.Properties ?? {};
    const integrationId = /integrations\/(.+)$/.exec(joined(p.Target))?.[1] ?? refInJoin(p.Target);
    const integration = integrationId === undefined ? undefined : resources[integrationId];
    const functionLogicalId = integration && functionOfUri(integration.Properties?.IntegrationUri);
    const authorizerId = refOf(p.AuthorizerId);
    const authorizer = authorizerId === undefined ? undefined : resources[authorizerId];
    const authorizerFn = authorizer && functionOfUri(authorizer.Properties?.AuthorizerUri);
    return {
      routeKey: String(p.RouteKey),
      ...(functionLogicalId ? { functionId: `${stack}/${functionLogicalId}` } : {}),
      twoWay: p.RouteResponseSelectionExpression !== undefined,
      ...(authorizerFn ? { authorizerFunctionId: `${stack}/${authorizerFn}` } : {}),
      ...(authorizer ? { identitySource: (authorizer.Properties?.IdentitySource as string[] | undefined) ?? [] } : {}),
    };
  });
  return {
    id: `${stack}/${logicalId}`,
    stack,
    logicalId,
    name: String(props.Name ?? logicalId),
    routeSelectionExpression: String(props.RouteSelectionExpression ?? '$request.body.action'),
    stageName: typeof stage === 'string' ? stage : 'local',
    routes,
  };
}

/** The logical id a `{ Ref }` names. */
export function refOf(value: unknown): string | undefined {
  const ref = (value as { Ref?: unknown } | null)?.Ref;
  return typeof ref === 'string' ? ref : undefined;
}

/** A `Fn::Join` of literals, as one string (intrinsics in it as empty strings). */
function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
  if (!join) return '';
  return join[1].map((part) => (typeof part === 'string' ? part : '')).join(join[0]);
}

function refInJoin(value: unknown): string | undefined {
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
  return join?.[1].map(refOf).find((r) => r !== undefined);
}

/**
 * The function a Lambda integration or authorizer URI (`...functions/<arn>/invocations`) names: a `Fn::GetAtt` of
 * its `Arn` in a `Fn::Join` (as CDK writes it) or `${Function.Arn}` in a `Fn::Sub` (as SAM templates do).
 */
function functionOfUri(uri: unknown): string | undefined {
  const o = uri as { 'Fn::Join'?: [string, unknown[]]; 'Fn::Sub'?: unknown } | null;
  for (const part of o?.['Fn::Join']?.[1] ?? []) {
    const att = (part as { 'Fn::GetAtt'?: [string, string] } | null)?.['Fn::GetAtt'];
    if (att && att[1] === 'Arn') return att[0];
  }
  // A bare function ARN, as some of AWS's templates write it.
  const bare = (uri as { 'Fn::GetAtt'?: [string, string] } | null)?.['Fn::GetAtt'];
  if (bare) return bare[1] === 'Arn' ? bare[0] : undefined;
  const sub = o?.['Fn::Sub'];
  const [text, variables] = (Array.isArray(sub) ? sub : [sub, {}]) as [unknown, Record<string, unknown>];
  const name = typeof text === 'string' ? /\/functions\/\$\{([A-Za-z0-9.:]+)\}/.exec(text)?.[1] : undefined;
  if (name === undefined) return undefined;
  const att = (variables?.[name] as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  if (att) return att[1] === 'Arn' ? att[0] : undefined;
  return name.endsWith('.Arn') ? name.slice(0, -'.Arn'.length) : undefined;
}
