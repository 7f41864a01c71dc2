import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { Env } from '../../lambda/contract';
import { GripSettings } from '../../lib';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:grip-AbCdEf';

describe('GripSettings', () => {
  test('fromSecret: points at the existing secret and defines nothing', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Test');
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Existing', SECRET_ARN);

    // WHEN
    const binding = GripSettings.fromSecret(secret).bind(new Construct(stack, 'Api'));

    // THEN
    expect(binding.secret).toBe(secret);
    expect(binding.environment).toEqual({ [Env.GRIP_SECRET_ARN]: SECRET_ARN });
    expect(stack.node.findAll().filter((c) => c instanceof secretsmanager.CfnSecret)).toEqual([]);
  });

  test('newSecret: defines a secret without any value, outputs its ARN and the command that sets it', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Test');

    // WHEN
    const binding = GripSettings.newSecret().bind(new Construct(stack, 'Api'));

    // THEN
    const template = Template.fromStack(stack);
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: { GenerateSecretString: Match.absent(), SecretString: Match.absent() },
      DeletionPolicy: 'Delete',
    });
    expect(stack.resolve(binding.environment)).toEqual({
      [Env.GRIP_SECRET_ARN]: { Ref: expect.stringMatching(/^ApiGripSecret/) },
    });
    const outputs = JSON.stringify(template.toJSON().Outputs);
    expect(outputs).toContain('aws secretsmanager put-secret-value --region ');
    expect(outputs).toContain("--secret-string '<GRIP_URL>'");
  });

  test("newSecret: the set command names the secret's region, whatever the CLI's default region", () => {
    // GIVEN a stack with a region and one without
    const app = new App();
    const pinned = new Stack(app, 'Pinned', { env: { region: 'eu-west-1' } });
    const agnostic = new Stack(app, 'Agnostic');

    // WHEN
    GripSettings.newSecret().bind(new Construct(pinned, 'Api'));
    GripSettings.newSecret().bind(new Construct(agnostic, 'Api'));

    // THEN
    const command = (stack: Stack) => {
      const outputs = Template.fromStack(stack).toJSON().Outputs as Record<string, { Value: unknown }>;
      return JSON.stringify(Object.entries(outputs).find(([id]) => id.includes('SetCommand'))?.[1].Value);
    };
    expect(command(pinned)).toContain('aws secretsmanager put-secret-value --region eu-west-1 --secret-id ');
    expect(command(agnostic)).toContain('"aws secretsmanager put-secret-value --region ",{"Ref":"AWS::Region"}');
  });

  test('newSecret: removalPolicy', () => {
    const stack = new Stack(new App(), 'Test');
    GripSettings.newSecret({ removalPolicy: RemovalPolicy.RETAIN }).bind(new Construct(stack, 'Api'));
    Template.fromStack(stack).hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
  });

  test('newSecret: binding twice defines one secret', () => {
    const stack = new Stack(new App(), 'Test');
    const settings = GripSettings.newSecret();
    const first = settings.bind(new Construct(stack, 'A'));
    const second = settings.bind(new Construct(stack, 'B'));
    expect(second.secret).toBe(first.secret);
    Template.fromStack(stack).resourceCountIs('AWS::SecretsManager::Secret', 1);
  });

  test('fromUrlUnsafe: the URL goes in the environment, with a warning at synth', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Test');
    const url = 'https://api.fanout.io/realm/r?iss=r&key=base64:c2VjcmV0';

    // WHEN
    const api = new Construct(stack, 'Api');
    const binding = GripSettings.fromUrlUnsafe(url).bind(api);

    // THEN
    expect(binding).toEqual({ environment: { [Env.GRIP_URL]: url } });
    const warnings = api.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringContaining('plain text in the template')]);
  });

  test('fails: fromUrlUnsafe with something that is not a URL', () => {
    expect(() => GripSettings.fromUrlUnsafe('realm=r key=abc')).toThrow(/needs a GRIP_URL .*not an http\(s\) URL/);
  });
});
