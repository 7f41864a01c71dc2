/**
 * What an API Gateway resource points to, in every way templates write it: the integration a route's `Target`
 * names (`integrations/<id>`), and the Lambda function an integration or authorizer URI names
 * (`arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{function ARN}/invocations`, or the bare
 * function ARN) — by `Fn::GetAtt` of its `Arn` (CDK's `Fn::Join`, SAM's `Fn::Sub` with `${Function.Arn}` or a
 * variable), or by its name (`...:function:${Function}`, or its Ref in place of the ARN). The value is evaluated
 * (./intrinsics.ts) with markers in place of the resources, and the markers read back.
 */
import type { Template } from './app-model';
import { evaluate } from './intrinsics';

type Resources = NonNullable<Template['Resources']>;

/** Stand-ins no template text contains: a resource's Ref, and a function's Arn. */
const REF = '\u0000ref:';
const ARN = '\u0000arn:';
const MARKED = {
  ref: (name: string) => `${REF}${name}\u0000`,
  getAtt: (id: string, a: string) => `${ARN}${id}.${a}\u0000`,
};

/** The integration `target` (a route's `Target`) names. */
export function integrationOf(target: unknown): string | undefined {
  const text = evaluate(target, { ref: (name) => name });
  return text === undefined ? undefined : /^integrations\/(.+)$/.exec(text)?.[1];
}

/** The logical id of the function `uri` names, if it is a Lambda function of `resources`. */
export function functionOfUri(uri: unknown, resources: Resources): string | undefined {
  const text = evaluate(uri, MARKED);
  if (text === undefined) return undefined;
  const id =
    new RegExp(`${ARN}([A-Za-z0-9]+)\\.Arn\\u0000`).exec(text)?.[1] ??
    new RegExp(`(?::function:|functions/)${REF}([A-Za-z0-9]+)\\u0000`).exec(text)?.[1];
  return id !== undefined && resources[id]?.Type === 'AWS::Lambda::Function' ? id : undefined;
}
