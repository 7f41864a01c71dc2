import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { ChatStack, ChatTransport, GripApi } from '../../lib';

/** Every acknowledgment (rule id and reason) recorded in the construct tree. */
function acknowledgments(root: IConstruct): { id: string; reason: string }[] {
  return root.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
    .map(([id, reason]) => ({ id, reason }));
}

function violations(app: App, packs: NagPack[]): string[] {
  return packs.flatMap((pack) =>
    pack
      .validateScope(app)
      .violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath)}`),
  );
}

describe('ChatStack under cdk-nag (AwsSolutions and Serverless packs)', () => {
  test.each(ChatTransport.ALL.map((t) => [t.name, t]))('transport %s: no unsuppressed finding', (_name, transport) => {
    // GIVEN
    const app = new App();
    const stack = new ChatStack(app, 'Chat', { transport, alarms: true });

    // WHEN
    const found = violations(app, [new AwsSolutionsChecks(app), new ServerlessChecks(app)]);

    // THEN: no error and no warning is left, and every acknowledgment says why
    expect(found).toEqual([]);
    const acknowledged = acknowledgments(stack);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { id, reason } of acknowledged) {
      expect([id, reason.length >= 40]).toEqual([id, true]);
    }
  });

  test('the packs run as validation plugins at synth, as an app would register them', () => {
    // GIVEN
    const app = new App();
    new ChatStack(app, 'Chat', { transport: ChatTransport.BOTH });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));

    // THEN: synth fails on any violation; it passes
    expect(() => app.synth()).not.toThrow();
  });

  test('the check does catch findings: an open GRIP API and the choices ChatStack acknowledges', () => {
    // GIVEN constructs without the example's acknowledgments, one with signature checks off
    const app = new App();
    const stack = new Stack(app, 'Plain');
    new GripApi(stack, 'Api', { verifySignature: false });

    // WHEN
    const found = violations(app, [new AwsSolutionsChecks(app), new ServerlessChecks(app)]).join('\n');

    // THEN
    expect(found).toMatch(/error AwsSolutions-APIG4: Plain\/Api/);
    expect(found).toMatch(/error Serverless-LambdaDLQ: Plain\/Api\/Handler/);
    expect(found).not.toMatch(/AwsSolutions-APIG2|AwsSolutions-IAM/);
  });
});
