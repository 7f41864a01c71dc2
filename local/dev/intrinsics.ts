/**
 * CloudFormation's intrinsic functions as `faas-grip-cdk dev` evaluates them, in one place: a value is a literal,
 * `Ref`, `Fn::GetAtt`, `Fn::Sub` (`${Name}` a Ref, `${Name.Attribute}` a GetAtt, `${!Text}` the literal `${Text}`,
 * a variable map) or `Fn::Join` (of a list, or of a list parameter's items). What a name stands for is the caller's
 * lookup: parameters only (template-parameters.ts), local resources (resolve-env.ts), or markers that show which
 * resource a URI points to (integration-target.ts).
 */
import type { TemplateValue } from './app-model';

/** What names stand for; undefined: not known here. */
export interface IntrinsicLookup {
  ref(name: string): string | undefined;
  getAtt?(logicalId: string, attribute: string): string | undefined;
}

/** `value` as a string, or undefined when any part of it is not known to `lookup`. */
export function evaluate(value: TemplateValue, lookup: IntrinsicLookup): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  if (typeof o.Ref === 'string') return lookup.ref(o.Ref);
  const att = o['Fn::GetAtt'];
  if (att !== undefined) {
    const [logicalId, attribute] = Array.isArray(att) ? att : String(att).split(/\.(.*)/s);
    return typeof logicalId === 'string' && typeof attribute === 'string'
      ? lookup.getAtt?.(logicalId, attribute)
      : undefined;
  }
  if (o['Fn::Sub'] !== undefined) return substitute(o['Fn::Sub'], lookup);
  if (Array.isArray(o['Fn::Join'])) {
    const [separator, parts] = o['Fn::Join'] as [unknown, unknown];
    if (typeof separator !== 'string') return undefined;
    // A list parameter (List<...>, CommaDelimitedList) joins its items.
    const items = Array.isArray(parts) ? parts : evaluate(parts, lookup)?.split(',');
    if (items === undefined) return undefined;
    const strings = items.map((part) => evaluate(part, lookup));
    return strings.includes(undefined) ? undefined : strings.join(separator);
  }
  return undefined;
}

function substitute(sub: unknown, lookup: IntrinsicLookup): string | undefined {
  const [text, variables] = (Array.isArray(sub) ? sub : [sub, {}]) as [unknown, Record<string, unknown> | undefined];
  if (typeof text !== 'string') return undefined;
  let known = true;
  const result = text.replace(/\$\{([^}]*)\}/g, (_whole, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    const dot = name.indexOf('.');
    const part =
      variables?.[name] !== undefined
        ? evaluate(variables[name], lookup)
        : dot > 0 && !name.startsWith('AWS::')
          ? lookup.getAtt?.(name.slice(0, dot), name.slice(dot + 1))
          : lookup.ref(name);
    if (part === undefined) known = false;
    return part ?? '';
  });
  return known ? result : undefined;
}
