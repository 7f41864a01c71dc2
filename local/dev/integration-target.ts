/**
 * The Lambda function an API Gateway integration or authorizer URI names
 * (`arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{function ARN}/invocations`, or the bare
 * function ARN), in every way templates write it: `Fn::Join` around a `Fn::GetAtt` of the function's `Arn` (CDK),
 * `Fn::Sub` with `${Function.Arn}` or a variable that is that `Fn::GetAtt` (SAM, AWS's samples), the ARN built from
 * the function's name (`...:function:${Function}`), or `Fn::GetAtt` alone.
 */
import type { Template } from './app-model';

type Resources = NonNullable<Template['Resources']>;

/** The logical id of the function `uri` names, if it is a Lambda function of `resources`. */
export function functionOfUri(uri: unknown, resources: Resources): string | undefined {
  const id = named(uri);
  return id !== undefined && resources[id]?.Type === 'AWS::Lambda::Function' ? id : undefined;
}

function named(uri: unknown): string | undefined {
  if (typeof uri !== 'object' || uri === null) return undefined;
  const o = uri as Record<string, unknown>;
  const arn = arnOf(o);
  if (arn !== undefined) return arn;
  if (Array.isArray(o['Fn::Join'])) {
    const parts = (o['Fn::Join'] as [string, unknown])[1];
    if (!Array.isArray(parts)) return undefined;
    for (const [index, part] of parts.entries()) {
      const att = arnOf(part);
      if (att !== undefined) return att;
      // `...:function:` followed by the function's name (its Ref).
      const ref = (part as { Ref?: unknown } | null)?.Ref;
      const before = parts[index - 1];
      if (typeof ref === 'string' && typeof before === 'string' && before.endsWith(':function:')) return ref;
    }
    return undefined;
  }
  if (o['Fn::Sub'] !== undefined) {
    const [text, variables] = (Array.isArray(o['Fn::Sub']) ? o['Fn::Sub'] : [o['Fn::Sub'], {}]) as [
      unknown,
      Record<string, unknown> | undefined,
    ];
    if (typeof text !== 'string') return undefined;
    const match = /functions\/(?:arn:[^/]*:function:)?\$\{([A-Za-z0-9.:]+)\}/.exec(text);
    if (!match) return undefined;
    const name = match[1];
    const variable = variables?.[name];
    if (variable !== undefined) return arnOf(variable) ?? refName(variable);
    if (name.endsWith('.Arn')) return name.slice(0, -'.Arn'.length);
    // `${Function}` after `:function:` is its name (a Ref).
    return text.includes(`:function:\${${name}}`) && !name.includes('.') ? name : undefined;
  }
  return undefined;
}

/** The function of a `Fn::GetAtt` of its `Arn`. */
function arnOf(value: unknown): string | undefined {
  const att = (value as { 'Fn::GetAtt'?: unknown } | null)?.['Fn::GetAtt'];
  return Array.isArray(att) && att[1] === 'Arn' && typeof att[0] === 'string' ? att[0] : undefined;
}

function refName(value: unknown): string | undefined {
  const ref = (value as { Ref?: unknown } | null)?.Ref;
  return typeof ref === 'string' ? ref : undefined;
}
