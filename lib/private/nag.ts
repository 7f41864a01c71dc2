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

/** Acknowledges the findings of a stage without X-Ray tracing or a WAF web ACL, and, when unset, its throttling. */
export function acknowledgeStageDefaults(stage: IConstruct, options: { throttled: boolean; rest: boolean }): void {
  const findings = [];
  if (options.rest) {
    findings.push(
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'no WAF web ACL by default: it costs money every month, and the function refuses what is not a valid ' +
          'request before any handler code runs; associate a web ACL with the stage when needed',
      },
      {
        id: 'Serverless-APIGWXrayEnabled',
        reason:
          'X-Ray tracing costs money per trace; the runtime emits Embedded Metric Format metrics and structured ' +
          'logs for every request instead',
      },
    );
  }
  if (!options.throttled) {
    findings.push({
      id: 'Serverless-APIGWDefaultThrottling',
      reason:
        "without throttlingRateLimit and throttlingBurstLimit the stage takes the account's limits; set them to " +
        'cap what one runaway client can cost',
    });
  }
  Validations.of(stage).acknowledge(...findings);
}
