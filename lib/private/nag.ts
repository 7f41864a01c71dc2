import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';

/**
 * Acknowledges, on the grantee's role, the `AwsSolutions-IAM5` findings (wildcard resources) of a grant whose
 * wildcards AWS requires, with the reason. Findings are named the way cdk-nag names them (`Resource::<arn>`,
 * references flattened to `<LogicalId>` / `<LogicalId.Attr>`), so only these exact resources are acknowledged.
 */
export function acknowledgeWildcardGrant(grantee: iam.IGrantable, grant: iam.Grant, reason: string): void {
  const principal = grantee.grantPrincipal;
  if (Construct.isConstruct(principal)) {
    acknowledgeWildcardResources(
      principal,
      grant.principalStatements.flatMap((s) => s.resources),
      reason,
    );
  }
}

/** Acknowledges, on `scope`, the `AwsSolutions-IAM5` findings of those `resources` that hold a wildcard. */
export function acknowledgeWildcardResources(scope: IConstruct, resources: readonly string[], reason: string): void {
  const stack = Stack.of(scope);
  for (const resource of resources) {
    const flat = flatten(stack.resolve(resource));
    if (flat.includes('*')) {
      Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
    }
  }
}

/** Mirrors cdk-nag's flattening of CloudFormation references into strings. */
function flatten(node: unknown): string {
  if (typeof node === 'string') {
    return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  }
  if (node !== null && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (o['Fn::Sub'] !== undefined) {
      return flatten(o['Fn::Sub']);
    }
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if (o.Ref !== undefined) {
      return `<${flatten(o.Ref)}>`;
    }
  }
  return JSON.stringify(node);
}

/** Acknowledges the access-logging findings of a stage that has no access logs, with the reason. */
export function acknowledgeNoAccessLogs(stage: IConstruct): void {
  const reason =
    'access logs need the account-wide API Gateway CloudWatch role, which this construct never defines or ' +
    'overwrites; pass accessLogDestination once the account has that role';
  Validations.of(stage).acknowledge(
    { id: 'AwsSolutions-APIG1', reason },
    { id: 'Serverless-APIGWAccessLogging', reason },
    { id: 'Serverless-APIGWStructuredLogging', reason },
  );
}
