/**
 * What `faas-grip-cdk dev` runs, read from a synthesized CDK app (a cloud assembly: `manifest.json` and one
 * CloudFormation template per stack), whichever constructs made it: every WebSocket API (`AWS::ApiGatewayV2::Api`
 * with protocol WEBSOCKET) with its stage, routes, route selection expression, two-way routes and REQUEST
 * authorizer; the Lambda functions behind them with their code (the asset directory the assembly holds) and their
 * environment; and the DynamoDB tables the environment names. Pure reading: no server is started here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A CloudFormation value as templates hold it: a literal or an intrinsic function. */
export type TemplateValue = unknown;

/** A Lambda function of the app. */
export interface AppFunction {
  /** `<stack>/<logical id>`. */
  readonly id: string;
  readonly stack: string;
  readonly logicalId: string;
  /** The construct path (`aws:cdk:path`), for messages. */
  readonly path: string;
  /** The directory holding its code, inside the assembly. */
  readonly codeDir: string;
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
}

/** A CloudFormation template, as far as it is read here. */
export interface Template {
  readonly Resources?: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
}

/**
 * Reads the cloud assembly in `dir`.
 * @throws Error naming the missing file or the unusable part.
 */
export function readCloudAssembly(dir: string): AppModel {
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw new Error(`no cloud assembly in ${dir} (no manifest.json): synthesize the app first (npx cdk synth)`);
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    artifacts?: Record<string, { type?: string; properties?: { templateFile?: string } }>;
  };
  const templates = new Map<string, Template>();
  for (const [name, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    templates.set(name, JSON.parse(readFileSync(join(dir, artifact.properties.templateFile), 'utf8')) as Template);
  }
  const functions = new Map<string, AppFunction>();
  const tables = new Map<string, AppTable>();
  const apis: AppWebSocketApi[] = [];
  for (const [stack, template] of templates) {
    const resources = template.Resources ?? {};
    for (const [logicalId, resource] of Object.entries(resources)) {
      const props = resource.Properties ?? {};
      const id = `${stack}/${logicalId}`;
      if (resource.Type === 'AWS::Lambda::Function') {
        const assetPath = resource.Metadata?.['aws:asset:path'] ?? assetOfKey(dir, props.Code);
        if (typeof assetPath !== 'string') continue; // inline or container code: not run locally
        functions.set(id, {
          id,
          stack,
          logicalId,
          path: String(resource.Metadata?.['aws:cdk:path'] ?? id),
          codeDir: join(dir, assetPath),
          handler: String(props.Handler ?? 'index.handler'),
          runtime: String(props.Runtime ?? ''),
          timeout: Number(props.Timeout ?? 3),
          environment: ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
            {}) as Record<string, TemplateValue>,
        });
      } else if (resource.Type === 'AWS::DynamoDB::Table' || resource.Type === 'AWS::DynamoDB::GlobalTable') {
        tables.set(id, { id, stack, logicalId, definition: props });
      }
    }
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::ApiGatewayV2::Api' || resource.Properties?.ProtocolType !== 'WEBSOCKET') continue;
      apis.push(webSocketApi(stack, logicalId, resources));
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
  return { apis, gripOrigins, functions, tables, templates };
}

/** The variables that make a function a GRIP origin's. */
const GRIP_VARIABLES = ['GRIP_SECRET_ARN', 'GRIP_URL', 'GRIP_PROXIES'];

type Resources = NonNullable<Template['Resources']>;

/** The asset directory of a function's code by its S3 key (`<hash>.zip` is staged as `asset.<hash>`). */
function assetOfKey(dir: string, code: unknown): string | undefined {
  const key = (code as { S3Key?: unknown } | undefined)?.S3Key;
  const hash = typeof key === 'string' ? /^([0-9a-f]{64})\.zip$/.exec(key)?.[1] : undefined;
  return hash !== undefined && existsSync(join(dir, `asset.${hash}`)) ? `asset.${hash}` : undefined;
}

function webSocketApi(stack: string, logicalId: string, resources: Resources): AppWebSocketApi {
  const props = resources[logicalId].Properties ?? {};
  const ofApi = (type: string) =>
    Object.entries(resources).filter(([, r]) => r.Type === type && refOf(r.Properties?.ApiId) === logicalId);
  const stage = ofApi('AWS::ApiGatewayV2::Stage')[0]?.[1].Properties?.StageName;
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

/** The function a Lambda integration or authorizer URI (`...functions/<arn>/invocations`) names. */
function functionOfUri(uri: unknown): string | undefined {
  const parts = (uri as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join']?.[1] ?? [];
  for (const part of parts) {
    const att = (part as { 'Fn::GetAtt'?: [string, string] } | null)?.['Fn::GetAtt'];
    if (att && att[1] === 'Arn') return att[0];
  }
  return undefined;
}
