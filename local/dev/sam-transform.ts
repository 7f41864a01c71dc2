/**
 * The part of the SAM transform (`Transform: AWS::Serverless-2016-10-31`) that `faas-grip-cdk dev` needs, as plain
 * CloudFormation: an `AWS::Serverless::Function` becomes an `AWS::Lambda::Function` with the template's `Globals`
 * merged as SAM merges them (the function's scalars win, maps merge, lists append), its code where `CodeUri` points
 * (relative to the template's directory) or its `InlineCode`; an `AWS::Serverless::SimpleTable` becomes an
 * `AWS::DynamoDB::Table` keyed by its `PrimaryKey` (default `id`, a string); an `AWS::Serverless::WebSocketApi`
 * (SAM 1.109) becomes the API, stage, routes, integrations and authorizer SAM makes of it; a function with GRIP
 * settings (GRIP_URL, GRIP_PROXIES or GRIP_SECRET_ARN) behind an `Api` or `HttpApi` event becomes a GRIP origin (its
 * API as a REST API with a method invoking it, served behind Pushpin as GripApi's are). Every other resource is kept
 * as it is (older SAM templates declare WebSocket APIs with `AWS::ApiGatewayV2::*`).
 */
import { resolve } from 'node:path';
import { hasGripSettings, type Template, type TemplateResource } from './app-model';

/** Metadata on a transformed function: where its code is, or why it is not run locally. */
export const CODE_DIR = 'faas-grip:code-dir';
export const NOT_RUN = 'faas-grip:not-run';

/** Whether `template` asks for the SAM transform. */
export function isSamTemplate(template: Readonly<Record<string, unknown>>): boolean {
  const transform = template.Transform;
  const names = Array.isArray(transform) ? transform : [transform];
  return names.some((name) => typeof name === 'string' && name.startsWith('AWS::Serverless-'));
}

/** A transformed template, and what of the SAM resources is not run locally. */
export interface SamTransformed {
  readonly template: Template;
  readonly warnings: readonly string[];
}

/**
 * `template` with its SAM resources as CloudFormation ones; `dir` is the template's directory.
 * @throws Error for what SAM itself refuses (a route key it cannot name, two routes of one name).
 */
export function samTransform(template: Readonly<Record<string, unknown>>, dir: string): SamTransformed {
  const warnings: string[] = [];
  const globals = ((template.Globals as { Function?: Record<string, unknown> } | undefined)?.Function ?? {}) as Record<
    string,
    unknown
  >;
  const apiGlobals = ((template.Globals as { WebSocketApi?: Record<string, unknown> } | undefined)?.WebSocketApi ??
    {}) as Record<string, unknown>;
  const resources: Record<string, TemplateResource> = {};
  const source = (template.Resources ?? {}) as Record<string, TemplateResource>;
  // The REST/HTTP APIs whose functions are GRIP origins: served behind Pushpin as GripApi's are.
  const gripApis = new Set<string>();
  for (const [logicalId, resource] of Object.entries(source)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const props = merged(globals, resource.Properties ?? {});
    const events = Object.entries((props.Events ?? {}) as Record<string, SamEvent>);
    const grip = isGripFunction(props);
    for (const [eventName, event] of events) {
      const api = grip ? apiOfEvent(event) : undefined;
      if (api === undefined) continue;
      gripApis.add(api);
      resources[`${logicalId}${eventName}GripMethod`] = {
        Type: 'AWS::ApiGateway::Method',
        Properties: {
          RestApiId: { Ref: api },
          Integration: { Type: 'AWS_PROXY', Uri: invocationUri({ 'Fn::GetAtt': [logicalId, 'Arn'] }) },
        },
      };
    }
  }
  for (const api of gripApis) resources[api] = { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: api } };
  for (const [logicalId, resource] of Object.entries(source)) {
    if (resource.Type === 'AWS::Serverless::Function') {
      const props = merged(globals, resource.Properties ?? {});
      resources[logicalId] = lambdaFunction(props, resource, dir);
      const grip = isGripFunction(props);
      const events = Object.entries((props.Events ?? {}) as Record<string, SamEvent>)
        .filter(([, event]) => !(grip && apiOfEvent(event) !== undefined))
        .map(([name]) => name);
      if (events.length > 0) warnings.push(`${logicalId}: its Events (${events.join(', ')}) are not run locally`);
      const buildMethod = resource.Metadata?.BuildMethod;
      if (typeof buildMethod === 'string') {
        warnings.push(
          `${logicalId}: built by sam build (BuildMethod ${buildMethod}): run from CodeUri as it is; if it needs ` +
            'building, run sam build and give --template .aws-sam/build/template.yaml',
        );
      }
    } else if (resource.Type === 'AWS::Serverless::SimpleTable') {
      resources[logicalId] = simpleTable(resource.Properties ?? {});
    } else if (resource.Type === 'AWS::Serverless::WebSocketApi') {
      Object.assign(resources, webSocketApi(logicalId, merged(apiGlobals, resource.Properties ?? {})));
    } else if (resource.Type === 'AWS::Serverless::Api' || resource.Type === 'AWS::Serverless::HttpApi') {
      if (gripApis.has(logicalId)) continue;
      warnings.push(`${logicalId}: ${resource.Type} is not served (dev serves WebSocket APIs and GRIP origins)`);
    } else {
      if (resource.Type.startsWith('AWS::Serverless::') && resource.Type !== 'AWS::Serverless::LayerVersion') {
        warnings.push(`${logicalId}: ${resource.Type} is not run locally`);
      }
      resources[logicalId] = resource;
    }
  }
  return { template: { ...(template as Template), Resources: resources }, warnings };
}

/** A SAM function event, as far as it is read here. */
interface SamEvent {
  readonly Type?: string;
  readonly Properties?: { readonly RestApiId?: unknown; readonly ApiId?: unknown };
}

function isGripFunction(props: Record<string, unknown>): boolean {
  return hasGripSettings((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
}

/** The API an `Api` or `HttpApi` event names: its `RestApiId`/`ApiId`, else SAM's implicit one. */
function apiOfEvent(event: SamEvent): string | undefined {
  if (event.Type === 'Api') {
    const ref = (event.Properties?.RestApiId as { Ref?: unknown } | undefined)?.Ref;
    return typeof ref === 'string' ? ref : 'ServerlessRestApi';
  }
  if (event.Type === 'HttpApi') {
    const ref = (event.Properties?.ApiId as { Ref?: unknown } | undefined)?.Ref;
    return typeof ref === 'string' ? ref : 'ServerlessHttpApi';
  }
  return undefined;
}

function lambdaFunction(props: Record<string, unknown>, resource: TemplateResource, dir: string): TemplateResource {
  const metadata: Record<string, unknown> = { ...resource.Metadata };
  const code: Record<string, unknown> = {};
  // SAM CLI takes the template's directory when a function names no code.
  const codeUri = props.CodeUri ?? '.';
  if (props.PackageType === 'Image' || props.ImageUri !== undefined) metadata[NOT_RUN] = 'a container image';
  else if (typeof props.InlineCode === 'string') code.ZipFile = props.InlineCode;
  else if (typeof codeUri !== 'string') {
    metadata[NOT_RUN] =
      typeof (codeUri as { Bucket?: unknown }).Bucket === 'undefined'
        ? 'its CodeUri is not a plain path'
        : 'its code is in S3 (CodeUri), not in a local directory';
  } else if (codeUri.startsWith('s3://')) metadata[NOT_RUN] = 'its code is in S3 (CodeUri), not in a local directory';
  else if (/\.(zip|jar)$/i.test(codeUri)) {
    metadata[NOT_RUN] = `its CodeUri is an archive (${codeUri}): point it at the directory of the code`;
  } else metadata[CODE_DIR] = resolve(dir, codeUri);
  return {
    Type: 'AWS::Lambda::Function',
    Metadata: metadata,
    Properties: {
      Code: code,
      ...pick(props, ['Handler', 'Runtime', 'Timeout', 'MemorySize', 'Environment', 'Layers', 'Architectures']),
    },
  };
}

function simpleTable(props: Record<string, unknown>): TemplateResource {
  const key = (props.PrimaryKey ?? {}) as { Name?: string; Type?: string };
  const name = key.Name ?? 'id';
  const type = { String: 'S', Number: 'N', Binary: 'B' }[key.Type ?? 'String'] ?? 'S';
  return {
    Type: 'AWS::DynamoDB::Table',
    Properties: {
      ...(props.TableName !== undefined ? { TableName: props.TableName } : {}),
      KeySchema: [{ AttributeName: name, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: name, AttributeType: type }],
    },
  };
}

/**
 * An `AWS::Serverless::WebSocketApi` as the resources SAM makes of it, with SAM's logical ids: the API, its stage
 * (`default` unless named), a route and Lambda integration per entry of `Routes` (`{Api}{Key}Route`, `$connect`
 * as `Connect`), and for `Auth` of type CUSTOM a REQUEST authorizer on `$connect` (`{Api}ConnectAuthorizer`).
 */
function webSocketApi(logicalId: string, props: Record<string, unknown>): Record<string, TemplateResource> {
  const api = { Ref: logicalId };
  const stageName = props.StageName ?? 'default';
  const resources: Record<string, TemplateResource> = {
    [logicalId]: {
      Type: 'AWS::ApiGatewayV2::Api',
      Properties: {
        Name: props.Name ?? logicalId,
        ProtocolType: 'WEBSOCKET',
        RouteSelectionExpression: props.RouteSelectionExpression,
      },
    },
    [`${logicalId}${stageName === 'default' ? 'Default' : typeof stageName === 'string' ? stageName : ''}Stage`]: {
      Type: 'AWS::ApiGatewayV2::Stage',
      Properties: { ApiId: api, StageName: stageName, AutoDeploy: true },
    },
  };
  const auth = (props.Auth ?? {}) as { AuthType?: unknown; AuthArn?: unknown; IdentitySource?: unknown };
  const authorizerId = `${logicalId}ConnectAuthorizer`;
  for (const [routeKey, route] of Object.entries((props.Routes ?? {}) as Record<string, Record<string, unknown>>)) {
    const base = `${logicalId}${routeIdPart(logicalId, routeKey)}`;
    if (resources[`${base}Route`] !== undefined) {
      throw new Error(`${logicalId}: two routes make the same resource ${base}Route (SAM names routes this way)`);
    }
    const custom = routeKey === '$connect' && auth.AuthType === 'CUSTOM';
    resources[`${base}Route`] = {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: {
        ApiId: api,
        RouteKey: routeKey,
        Target: { 'Fn::Join': ['/', ['integrations', { Ref: `${base}Integration` }]] },
        ...(route.RouteResponseSelectionExpression !== undefined
          ? { RouteResponseSelectionExpression: route.RouteResponseSelectionExpression }
          : {}),
        ...(custom ? { AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } } : {}),
      },
    };
    resources[`${base}Integration`] = {
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: {
        ApiId: api,
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: invocationUri(route.FunctionArn),
      },
    };
  }
  if (auth.AuthType === 'CUSTOM') {
    resources[authorizerId] = {
      Type: 'AWS::ApiGatewayV2::Authorizer',
      Properties: {
        ApiId: api,
        AuthorizerType: 'REQUEST',
        AuthorizerUri: invocationUri(auth.AuthArn),
        ...(auth.IdentitySource !== undefined ? { IdentitySource: auth.IdentitySource } : {}),
      },
    };
  }
  return resources;
}

/**
 * A route key in SAM's logical ids: `$connect`, `$disconnect`, `$default` as `Connect`, `Disconnect`, `Default`;
 * other keys must be letters and digits, capitalized as Python capitalizes (`sendMessage` as `Sendmessage`).
 */
function routeIdPart(api: string, routeKey: string): string {
  const key = ['$connect', '$disconnect', '$default'].includes(routeKey) ? routeKey.slice(1) : routeKey;
  if (!/^[A-Za-z0-9]+$/.test(key)) {
    throw new Error(
      `${api}: route key '${routeKey}' must be alphanumeric; only $connect, $disconnect and $default special routes ` +
        'are supported (as SAM requires)',
    );
  }
  return key.charAt(0).toUpperCase() + key.slice(1).toLowerCase();
}

/** API Gateway's URI for invoking the function `arn` names. */
function invocationUri(arn: unknown): unknown {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub text
  const text = 'arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Arn}/invocations';
  return { 'Fn::Sub': [text, { Arn: arn }] };
}

/** SAM's Globals merge: maps merge key by key, lists append, anything else the function's own wins. */
function merged(global: unknown, own: unknown): Record<string, unknown> {
  if (own === undefined) return global as Record<string, unknown>;
  if (Array.isArray(global) && Array.isArray(own)) return [...global, ...own] as never;
  if (isPlainMap(global) && isPlainMap(own)) {
    const result: Record<string, unknown> = { ...global };
    for (const [key, value] of Object.entries(own)) result[key] = merged(global[key], value);
    return result;
  }
  return own as Record<string, unknown>;
}

/** A map of properties (not an intrinsic function, whose one key starts with `Fn::` or is `Ref`). */
function isPlainMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return !(keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::')));
}

function pick(props: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => props[k] !== undefined).map((k) => [k, props[k]]));
}
