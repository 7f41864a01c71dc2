/**
 * `faas-grip-cdk dev`'s servers for a synthesized app: one local DynamoDB with the app's tables (created from their
 * template definitions), and one API Gateway WebSocket emulator per WebSocket API of the app, each serving its
 * routes with the functions behind them (their code from the assembly's asset directories, their environment
 * resolved to local values). Each function runs in a process of its own (./function-process.ts).
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { generate } from 'selfsigned';
import type { LambdaHandler } from '../apigw-websocket/lambda-context';
import { runCredentials, startWebSocketEmulator, type WebSocketEmulator } from '../apigw-websocket/websocket-emulator';
import { findPushpin } from '../grip/pushpin';
import { startGripStack } from '../stack/grip-stack';
import { type LocalDynamo, localDynamoClient, startLocalDynamo } from '../stack/local-dynamo';
import { StopStack } from '../stack/stop-stack';
import type { AppModel } from './app-model';
import { FunctionProcess, runtimeModules } from './function-process';
import { type LocalFacts, resolveEnvironment } from './resolve-env';
import { LOCAL_REGION } from './template-parameters';

/** Options of {@link startDevApp}. */
export interface DevAppOptions {
  /** Interface to bind. @default '127.0.0.1' */
  readonly host?: string;
  /** Port of the first API; the next ones take the following ports. 0: free ones. @default 0 */
  readonly port?: number;
  /** The port of each API, in the order of the model (a reload keeps its URLs). @default - from `port` */
  readonly ports?: readonly number[];
  /** Values for environment variables the template cannot give locally (secrets, other services), by name. */
  readonly values?: Readonly<Record<string, string>>;
  /**
   * A local DynamoDB to keep the tables in (missing ones are created, existing ones keep their items): a reload
   * passes the one it started with, so an edit does not wipe the data. Not stopped by {@link DevApp.stop}.
   * @default - a new one, stopped with the servers
   */
  readonly dynamo?: LocalDynamo;
  /** The TLS certificate the APIs speak and the functions trust. @default - a new one ({@link localCertificate}) */
  readonly certificate?: LocalCertificate;
  /** Receives handler errors. @default - console.error */
  readonly onError?: (error: unknown) => void;
}

/** A served WebSocket API. */
export interface ServedApi {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly managementEndpoint: string;
  readonly emulator: WebSocketEmulator;
}

/** A served GRIP origin: Pushpin in front of its function. */
export interface ServedGripOrigin {
  readonly id: string;
  readonly name: string;
  /** Pushpin's `ws://` client URL. */
  readonly url: string;
}

/** The running servers. */
export interface DevApp {
  readonly apis: readonly ServedApi[];
  readonly gripOrigins: readonly ServedGripOrigin[];
  /** Local table name by table id. */
  readonly tables: ReadonlyMap<string, string>;
  readonly dynamoEndpoint: string;
  /**
   * What is not run as the template says: `function path: VARIABLE: why` for each variable left out of a
   * function's environment, functions of other runtimes, GRIP origins without Pushpin.
   */
  readonly warnings: readonly string[];
  stop(): Promise<void>;
}

/** A TLS key and certificate (PEM). */
export interface LocalCertificate {
  readonly key: string;
  readonly cert: string;
}

/** Starts the servers of `model` (read from the assembly in `assemblyDir`). */
export async function startDevApp(model: AppModel, options: DevAppOptions = {}): Promise<DevApp> {
  const onError = options.onError ?? ((error: unknown) => console.error('faas-grip-cdk dev: handler failed:', error));
  const host = options.host ?? '127.0.0.1';
  const stack = new StopStack(onError);
  return stack.build(async () => {
    let dynamo = options.dynamo;
    if (dynamo === undefined) {
      const own = await startLocalDynamo({ host });
      stack.push(() => own.stop());
      dynamo = own;
    }
    const tableNames = new Map([...model.tables.values()].map((t) => [t.id, t.name]));
    const client = localDynamoClient(dynamo.endpoint);
    for (const table of model.tables.values()) {
      try {
        await client.send(new CreateTableCommand(tableInput(table.name, table.definition)));
      } catch (error) {
        // Kept from before a reload, with its items.
        if ((error as Error).name !== 'ResourceInUseException') throw error;
      }
    }
    client.destroy();

    const credentials = runCredentials();
    // A certificate for 127.0.0.1 and localhost, trusted by the functions' processes: the callback URL apps build
    // from the event (`https://{domainName}/{stage}`) reaches the local management API unchanged.
    const certificate = options.certificate ?? (await localCertificate());
    const workDir = mkdtempSync(join(tmpdir(), 'faas-grip-dev-'));
    stack.push(async () => rmSync(workDir, { recursive: true, force: true }));
    const caFile = join(workDir, 'local-ca.pem');
    writeFileSync(caFile, certificate.cert);
    const handlers = new Map<string, LambdaHandler>();
    // Stopped after the servers (the stack stops in reverse), so the $disconnect invocations of the connections the
    // servers close on a stop or reload still run.
    const processes: FunctionProcess[] = [];
    stack.push(async () => {
      await Promise.all(processes.map((p) => p.stop()));
    });
    // A function's handler, looked up when invoked (the processes start once the servers know their URLs).
    const runFunction =
      (id: string): LambdaHandler =>
      (event: never, context: never) => {
        const handler = handlers.get(id);
        if (handler === undefined) throw new Error(`${id} is not run locally: see the warnings`);
        return handler(event, context);
      };
    const apis: ServedApi[] = [];
    let port = options.port ?? 0;
    for (const [index, api] of model.apis.entries()) {
      const custom = api.routes.map((r) => r.routeKey).filter((k) => !k.startsWith('$'));
      const authorizerRoute = api.routes.find((r) => r.authorizerFunctionId !== undefined);
      const dispatch: LambdaHandler = async (event: unknown, context: unknown) => {
        const routeKey = (event as { requestContext?: { routeKey?: string } }).requestContext?.routeKey ?? '$default';
        // $default takes the messages no route matches, never $connect or $disconnect (which are simply not run
        // when the API has no route for them).
        const route =
          api.routes.find((r) => r.routeKey === routeKey) ??
          (routeKey === '$connect' || routeKey === '$disconnect'
            ? undefined
            : api.routes.find((r) => r.routeKey === '$default'));
        // A route without an integration answers as API Gateway would without one: nothing to run.
        if (route?.functionId === undefined) return { statusCode: 200 };
        return runFunction(route.functionId)(event as never, context as never);
      };
      const emulator = await startWebSocketEmulator({
        handler: dispatch,
        host,
        port: options.ports?.[index] ?? port,
        stage: api.stageName,
        functionName: api.logicalId,
        routes: custom,
        routeSelectionExpression: api.routeSelectionExpression,
        routeResponses: api.routes.filter((r) => r.twoWay).map((r) => r.routeKey),
        ...(authorizerRoute?.authorizerFunctionId
          ? {
              authorizer: runFunction(authorizerRoute.authorizerFunctionId),
              identitySource: authorizerRoute.identitySource,
            }
          : {}),
        credentials,
        tls: certificate,
        onError,
      });
      stack.push(() => emulator.stop());
      if (port !== 0) port = emulator.port + 1;
      apis.push({
        id: api.id,
        name: api.name,
        url: emulator.url,
        managementEndpoint: emulator.managementEndpoint,
        emulator,
      });
    }

    const facts: LocalFacts = {
      tableNames,
      apiEndpoints: new Map(apis.map((a) => [a.id, { management: a.managementEndpoint, url: a.url }])),
    };
    const env: Record<string, string> = {
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      NODE_EXTRA_CA_CERTS: caFile,
      FAAS_GRIP_DEV_APIS: JSON.stringify(Object.fromEntries(apis.map((a) => [a.emulator.apiId, a.emulator.port]))),
      // Lambda writes metrics to its logs; locally they would only fill the terminal.
      POWERTOOLS_METRICS_DISABLED: 'true',
      ...(apis[0] ? { AWS_ENDPOINT_URL_LAMBDA: apis[0].emulator.lambdaEndpoint } : {}),
    };
    const warnings: string[] = [...model.warnings];
    // GRIP origins: Pushpin in front of each one's function; their GRIP settings are the local Pushpin's.
    const gripOrigins: ServedGripOrigin[] = [];
    const gripEnv = new Map<string, Readonly<Record<string, string>>>();
    for (const origin of model.gripOrigins) {
      if (findPushpin() === undefined) {
        warnings.push(`${origin.name}: a GRIP origin, not served: Pushpin is not installed (apt-get install pushpin)`);
        continue;
      }
      const grip = await startGripStack({
        handler: runFunction(origin.functionId),
        functionName: origin.name,
        onError,
      });
      stack.push(() => grip.stop());
      gripEnv.set(origin.functionId, grip.env);
      gripOrigins.push({ id: origin.id, name: origin.name, url: grip.wsUrl });
    }
    const served = new Set([
      ...model.apis.flatMap((a) => a.routes.flatMap((r) => [r.functionId, r.authorizerFunctionId])),
      ...model.gripOrigins.map((o) => o.functionId),
    ]);
    const functions = [...model.functions.values()].filter((f) => served.has(f.id));
    const modules = runtimeModules(join(workDir, 'runtime', 'node_modules'));
    // Each function in its own process, with its own environment (the common local settings, then its own).
    for (const fn of functions) {
      if (!fn.runtime.startsWith('nodejs')) {
        warnings.push(`${fn.path}: runtime ${fn.runtime || 'unknown'} is not run locally (only Node.js functions are)`);
        continue;
      }
      const grip = gripEnv.get(fn.id);
      const environment = grip
        ? { ...Object.fromEntries(Object.entries(fn.environment).filter(([k]) => k !== 'GRIP_SECRET_ARN')), ...grip }
        : fn.environment;
      const resolved = resolveEnvironment(fn.stack, environment, model, facts, options.values);
      warnings.push(...resolved.unresolved.map((u) => `${fn.path}: ${u}`));
      let codeDir = fn.codeDir;
      if (fn.inlineCode !== undefined) {
        // As Lambda does with inline code: the text is the function's index.js.
        codeDir = join(workDir, 'inline', fn.stack, fn.logicalId);
        mkdirSync(codeDir, { recursive: true });
        writeFileSync(join(codeDir, 'index.js'), fn.inlineCode);
      }
      const at = fn.handler.lastIndexOf('.');
      const functionProcess = new FunctionProcess({
        file: join(codeDir, fn.handler.slice(0, at)),
        exportName: fn.handler.slice(at + 1),
        functionName: fn.logicalId,
        timeoutSeconds: fn.timeout,
        env: { ...env, ...resolved.values },
        runtimeModules: modules,
      });
      processes.push(functionProcess);
      handlers.set(fn.id, ((event: unknown) => functionProcess.invoke(event)) as LambdaHandler);
    }
    return {
      apis,
      gripOrigins,
      tables: tableNames,
      dynamoEndpoint: dynamo.endpoint,
      warnings,
      stop: () => stack.stop(),
    };
  });
}

/**
 * A new self-signed certificate for 127.0.0.1, localhost and the APIs' AWS host names
 * (`*.execute-api.{region}.amazonaws.com`, which the functions' processes send to the local APIs), valid a day.
 */
export async function localCertificate(region = LOCAL_REGION): Promise<LocalCertificate> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    notAfterDate: new Date(Date.now() + 24 * 3600 * 1000),
    algorithm: 'sha256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: `*.execute-api.${region}.amazonaws.com` },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/** A CreateTable request from a template's table definition. */
function tableInput(
  name: string,
  definition: Readonly<Record<string, unknown>>,
): ConstructorParameters<typeof CreateTableCommand>[0] {
  const strip = (indexes: unknown) =>
    Array.isArray(indexes)
      ? indexes.map((index: Record<string, unknown>) => ({
          IndexName: index.IndexName,
          KeySchema: index.KeySchema,
          Projection: index.Projection,
        }))
      : undefined;
  return {
    TableName: name,
    KeySchema: definition.KeySchema as never,
    AttributeDefinitions: definition.AttributeDefinitions as never,
    BillingMode: 'PAY_PER_REQUEST',
    ...(definition.GlobalSecondaryIndexes
      ? { GlobalSecondaryIndexes: strip(definition.GlobalSecondaryIndexes) as never }
      : {}),
    ...(definition.LocalSecondaryIndexes
      ? { LocalSecondaryIndexes: strip(definition.LocalSecondaryIndexes) as never }
      : {}),
  };
}
