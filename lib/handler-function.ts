import { Annotations, Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { HandlerBundleName } from '../lambda/contract';
import { bundledAssetDir } from './private/package-root';
import { checkNumber, checkString } from './private/validate';

/** API Gateway (REST and WebSocket) stops waiting for an integration after this long. */
const API_GATEWAY_TIMEOUT = Duration.seconds(29);

/**
 * The default timeout: a second under API Gateway's, so a request that runs too long ends with the function's
 * own timeout (in its logs and metrics), not with the API's bare 504 while the function goes on.
 */
const DEFAULT_TIMEOUT = Duration.seconds(28);

/**
 * A handler bundle shipped pre-built inside this package (`assets/<name>/index.js`).
 *
 * The bundles are built with esbuild when the package is built, so defining a function from one needs
 * neither esbuild nor Docker.
 */
export class HandlerBundle {
  /** The chat of the seed: `/nick`, `/join` and broadcast, on GRIP and native WebSockets. */
  public static readonly CHAT = new HandlerBundle(HandlerBundleName.CHAT);
  /** The same chat for the GRIP transport only: a smaller bundle without the native transport's code. */
  public static readonly CHAT_GRIP = new HandlerBundle(HandlerBundleName.CHAT_GRIP);
  /** An HTTP streaming (`Grip-Hold: stream`) example. */
  public static readonly STREAM = new HandlerBundle(HandlerBundleName.STREAM);
  /** A long-polling (`Grip-Hold: response`) example. */
  public static readonly LONG_POLL = new HandlerBundle(HandlerBundleName.LONG_POLL);
  /** The `$connect` authorizer comparing the `token` query parameter with a secret. */
  public static readonly AUTHORIZER = new HandlerBundle(HandlerBundleName.AUTHORIZER);

  /** The name of the bundle's directory under `assets/`. */
  public readonly assetName: string;

  private constructor(assetName: string) {
    this.assetName = assetName;
  }
}

/** Properties of a {@link HandlerFunction}. */
export interface HandlerFunctionProps {
  /**
   * The pre-built handler the function runs.
   *
   * @default HandlerBundle.CHAT
   */
  readonly bundle?: HandlerBundle;

  /**
   * Memory of the function, in MiB, from 128 to 10240; CPU grows with it (signature checks and fan-out are
   * CPU-bound).
   *
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * How long one invocation may run: whole seconds, from 1 second to 15 minutes. API Gateway stops waiting after
   * 29 seconds, so a timeout of 29 seconds or more warns at synth: the function's own timeout should come first.
   *
   * @default Duration.seconds(28)
   */
  readonly timeout?: Duration;

  /**
   * How long the function's log group keeps its logs.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * More environment variables for the function. Names are letters, digits and `_`, beginning with a letter. A
   * `NODE_OPTIONS` given here is kept, with `--enable-source-maps` added.
   *
   * @default - only the variables the constructs set
   */
  readonly environment?: Readonly<Record<string, string>>;

  /**
   * The execution role.
   *
   * @default - a role that may only write to the function's log group (no managed policy)
   */
  readonly role?: iam.IRole;
}

/**
 * A Lambda function running one of the package's pre-built handlers, with pinned settings: Node.js 24 on ARM64,
 * an explicit log group with retention, source maps on, and a role limited to its log group. It is a
 * `lambda.Function`: pass it wherever one goes.
 *
 * The role and the log group are defined next to the function, as `<id>Role` and `<id>LogGroup`.
 */
export class HandlerFunction extends lambda.Function {
  /** The runtime every handler of this package runs on. */
  public static readonly RUNTIME = lambda.Runtime.NODEJS_24_X;

  public constructor(scope: Construct, id: string, props: HandlerFunctionProps = {}) {
    const bundle = props.bundle ?? HandlerBundle.CHAT;
    checkNumber('memorySize', props.memorySize, { min: 128, max: 10240, whole: true, unit: 'MiB' });
    const timeout = props.timeout ?? DEFAULT_TIMEOUT;
    checkTimeout(timeout);
    const environment = environmentOf(props.environment ?? {});
    const role =
      props.role ??
      new iam.Role(scope, `${id}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Runs the faas-grip-cdk '${bundle.assetName}' handler`,
      });
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      runtime: HandlerFunction.RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(bundledAssetDir(bundle.assetName)),
      memorySize: props.memorySize ?? 512,
      timeout,
      role,
      logGroup,
      environment,
      description: `faas-grip-cdk ${bundle.assetName} handler`,
    });
    if (!timeout.isUnresolved() && timeout.toMilliseconds() >= API_GATEWAY_TIMEOUT.toMilliseconds()) {
      Annotations.of(this).addWarningV2(
        'faas-grip-cdk:timeoutOverApiGateway',
        `timeout ${timeout.toHumanString()} is not shorter than API Gateway waits (29 seconds): a request running ` +
          'that long fails at the API with a bare 504 while the function goes on. Use 28 seconds or less behind an API',
      );
    }
    Validations.of(this).acknowledge(
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'every handler bundle of this package is invoked synchronously by API Gateway (an integration or the ' +
          '$connect authorizer), which sees the error; the one asynchronous self-invocation (messages sent during ' +
          '$connect) keeps those messages in the connection table until the next message, so a queue would add nothing',
      },
      {
        id: 'Serverless-LambdaTracing',
        reason:
          'X-Ray tracing costs money per trace; the runtime emits Embedded Metric Format metrics and structured ' +
          'logs for every request instead',
      },
    );
  }
}

/** Throws unless the timeout is whole seconds from 1 second to 15 minutes (a token passes). */
function checkTimeout(timeout: Duration): void {
  if (timeout.isUnresolved()) {
    return;
  }
  const millis = timeout.toMilliseconds();
  if (millis % 1000 !== 0 || millis < 1000 || millis > 900_000) {
    throw new Error(`timeout ${timeout.toHumanString()} is not valid: use whole seconds from 1 second to 15 minutes`);
  }
}

/** The function's environment: the given variables (names checked) with source maps turned on in NODE_OPTIONS. */
function environmentOf(given: Readonly<Record<string, string>>): Record<string, string> {
  for (const name of Object.keys(given)) {
    checkString(
      'environment variable name',
      name,
      /^[A-Za-z][A-Za-z0-9_]+$/,
      "use letters, digits and '_', beginning with a letter (at least 2 characters)",
    );
  }
  const nodeOptions = [given.NODE_OPTIONS, '--enable-source-maps'].filter((o) => o !== undefined && o !== '');
  return { ...given, NODE_OPTIONS: nodeOptions.join(' ') };
}
