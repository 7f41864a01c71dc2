import { Annotations, CfnOutput, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { Env } from '../lambda/contract';

/** What a {@link GripSettings} gives the functions that use it. */
export interface GripSettingsBinding {
  /** Environment variables that point the runtime at the settings. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * The secret holding the settings; functions need read access to it.
   *
   * @default - the settings are in the environment, no secret
   */
  readonly secret?: secretsmanager.ISecret;
}

/** Options of {@link GripSettings.newSecret}. */
export interface NewGripSecretOptions {
  /**
   * What happens to the secret when it leaves the stack.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Where the runtime finds the GRIP settings: the proxy's control URI, its publish key and the Grip-Sig verify
 * key, as a GRIP_URL (`https://<control uri>?iss=..&key=..&verify-iss=..&verify-key=..`) or a JSON list of them.
 */
export abstract class GripSettings {
  /**
   * The settings are the value of an existing Secrets Manager secret (a GRIP_URL or a JSON list).
   * The key never appears in the template.
   */
  public static fromSecret(secret: secretsmanager.ISecret): GripSettings {
    return new SecretSettings(() => secret);
  }

  /**
   * Define an empty secret to put the GRIP_URL in after deploy. The stack outputs the secret's ARN and the
   * command that sets it; until it is set, the runtime answers with an error naming the secret.
   */
  public static newSecret(options: NewGripSecretOptions = {}): GripSettings {
    return new SecretSettings((scope) => defineEmptySecret(scope, options));
  }

  /**
   * The GRIP_URL as a plain environment variable. The key ends up in plain text in the template and the
   * function's configuration, so this warns at synth: use it for local experiments only.
   */
  public static fromUrlUnsafe(url: string): GripSettings {
    if (!Token.isUnresolved(url) && !/^https?:\/\/[^\s]+$/i.test(url)) {
      throw new Error(
        'GripSettings.fromUrlUnsafe needs a GRIP_URL such as https://api.fanout.io/realm/<realm>?iss=<realm>&key=...: ' +
          'the value given is not an http(s) URL',
      );
    }
    return new UrlSettings(url);
  }

  /** Makes the settings available in `scope` (defining the secret, if any). Called once per API construct. */
  public abstract bind(scope: Construct): GripSettingsBinding;
}

class SecretSettings extends GripSettings {
  private binding?: GripSettingsBinding;

  public constructor(private readonly secretIn: (scope: Construct) => secretsmanager.ISecret) {
    super();
  }

  public bind(scope: Construct): GripSettingsBinding {
    if (this.binding === undefined) {
      const secret = this.secretIn(scope);
      this.binding = { secret, environment: { [Env.GRIP_SECRET_ARN]: secret.secretArn } };
    }
    return this.binding;
  }
}

class UrlSettings extends GripSettings {
  public constructor(private readonly url: string) {
    super();
  }

  public bind(scope: Construct): GripSettingsBinding {
    Annotations.of(scope).addWarningV2(
      'faas-grip-cdk:gripUrlInPlainText',
      'GripSettings.fromUrlUnsafe puts the GRIP_URL, publish key included, in plain text in the template and the ' +
        "function's configuration: use GripSettings.fromSecret or GripSettings.newSecret outside local experiments",
    );
    return { environment: { [Env.GRIP_URL]: this.url } };
  }
}

function defineEmptySecret(scope: Construct, options: NewGripSecretOptions): secretsmanager.ISecret {
  const holder = new Construct(scope, 'GripSecret');
  const secret = new secretsmanager.Secret(holder, 'Resource', {
    description: 'GRIP settings (a GRIP_URL or a JSON list of them) for faas-grip-cdk; set after deploy',
    removalPolicy: options.removalPolicy ?? RemovalPolicy.DESTROY,
  });
  // no GenerateSecretString and no SecretString: CloudFormation defines the secret without a value
  (secret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'the value is a key issued by the GRIP proxy (Fanout, Fastly, Pushpin); Secrets Manager cannot rotate it. ' +
      'Rotate it at the proxy, then put the new GRIP_URL in the secret',
  });
  new CfnOutput(holder, 'Arn', {
    description: 'The secret the GRIP_URL goes in',
    value: secret.secretArn,
  });
  new CfnOutput(holder, 'SetCommand', {
    description: 'Run this once after deploy, with your GRIP_URL',
    value:
      `aws secretsmanager put-secret-value --region ${Stack.of(holder).region} --secret-id ${secret.secretArn} ` +
      "--secret-string '<GRIP_URL>'",
  });
  return secret;
}
