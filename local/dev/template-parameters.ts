/**
 * A template's parameters as `faas-grip-cdk dev` gives them: the values the user gave (`--parameter`), else the
 * template's defaults. A parameter with neither, or one whose default is an SSM parameter's name (resolved by
 * CloudFormation from Parameter Store), has no local value: whatever refers to it is reported by name. Also the
 * literal values of a template that need no resource (strings, parameters, pseudo parameters, `Fn::Sub` and
 * `Fn::Join` of those), for the names, stages and settings the model reads.
 */
import type { Template, TemplateValue } from './app-model';
import { evaluate } from './intrinsics';

/** The region and account the local run stands for (the pseudo parameters `AWS::Region`, `AWS::AccountId`). */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '123456789012';

/** The stacks' parameter values, and what could not be given one. */
export interface ParameterValues {
  /** By stack name. */
  readonly values: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly warnings: readonly string[];
}

/**
 * The parameter values of `templates` (by stack) with `given` applied to every stack that declares the name.
 * @throws Error naming a given parameter that no template declares.
 */
export function parameterValues(
  templates: ReadonlyMap<string, Template>,
  given: Readonly<Record<string, string>>,
): ParameterValues {
  const values = new Map<string, Record<string, string>>();
  const warnings: string[] = [];
  const declared = new Set<string>();
  for (const [stack, template] of templates) {
    const own: Record<string, string> = {};
    for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
      declared.add(name);
      const fromSsm = String(parameter.Type ?? '').startsWith('AWS::SSM::Parameter::');
      const value = given[name] ?? (fromSsm ? undefined : parameter.Default);
      if (value !== undefined) {
        own[name] = Array.isArray(value) ? value.join(',') : String(value);
        continue;
      }
      // CDK's own parameters (assets, the bootstrap version) are read by nothing a function runs.
      if (name.startsWith('AssetParameters') || name === 'BootstrapVersion') continue;
      warnings.push(
        `${stack}: parameter ${name} has no local value (${fromSsm ? 'its default names an SSM parameter' : 'no default'}): ` +
          `give it with --parameter ${name}=VALUE`,
      );
    }
    values.set(stack, own);
  }
  const unknown = Object.keys(given).filter((name) => !declared.has(name));
  if (unknown.length > 0) throw new Error(`no template has the parameter ${unknown.join(', ')} (--parameter)`);
  return { values, warnings };
}

/**
 * `value` as a string when it needs no resource to be known: a literal, a parameter's value, a pseudo parameter,
 * or an `Fn::Sub` or `Fn::Join` of those; undefined otherwise.
 */
export function literalValue(
  value: TemplateValue,
  stack: string,
  parameters: Readonly<Record<string, string>>,
): string | undefined {
  return evaluate(value, { ref: (name) => pseudo(name, stack) ?? parameters[name] });
}

/** The local value of a pseudo parameter, or undefined for any other name. */
export function pseudo(name: string, stack: string): string | undefined {
  switch (name) {
    case 'AWS::Region':
      return LOCAL_REGION;
    case 'AWS::AccountId':
      return LOCAL_ACCOUNT_ID;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return stack;
    default:
      return undefined;
  }
}
