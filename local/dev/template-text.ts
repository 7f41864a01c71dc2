/**
 * A CloudFormation or SAM template's text (JSON, or YAML with the short-form intrinsic tags `!Ref`, `!GetAtt`,
 * `!Sub`, ...) as the JSON form: `!Ref X` is `{ "Ref": "X" }`, `!GetAtt A.B` is `{ "Fn::GetAtt": ["A", "B"] }`,
 * `!Sub ...` is `{ "Fn::Sub": ... }`, and so on.
 */
import { type CollectionTag, isSeq, parseDocument, Scalar, type ScalarTag, YAMLMap, type YAMLSeq } from 'yaml';

/** The short-form tags, by the function each one writes. */
const FUNCTIONS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'Contains',
  'EachMemberEquals',
  'ValueOf',
  'Length',
  'ToJsonString',
];

function wrapped(key: string, value: unknown): YAMLMap {
  const map = new YAMLMap();
  map.set(new Scalar(key), value);
  return map;
}

function tagsOf(name: string, key: string, scalar: (text: string) => unknown): (ScalarTag | CollectionTag)[] {
  const tag = `!${name}`;
  return [
    { tag, resolve: (text: string) => scalar(text) } as ScalarTag,
    { tag, collection: 'seq', resolve: (seq: unknown) => wrapped(key, seq as YAMLSeq) } as CollectionTag,
    { tag, collection: 'map', resolve: (map: unknown) => wrapped(key, map as YAMLMap) } as CollectionTag,
  ];
}

const TAGS: (ScalarTag | CollectionTag)[] = [
  ...tagsOf('Ref', 'Ref', (text) => ({ Ref: text })),
  ...tagsOf('Condition', 'Condition', (text) => ({ Condition: text })),
  ...tagsOf('GetAtt', 'Fn::GetAtt', (text) => {
    const dot = text.indexOf('.');
    return { 'Fn::GetAtt': dot < 0 ? [text] : [text.slice(0, dot), text.slice(dot + 1)] };
  }),
  ...FUNCTIONS.flatMap((name) => tagsOf(name, `Fn::${name}`, (text) => ({ [`Fn::${name}`]: text }))),
];

/** A template's text as its JSON form. @throws Error with the line of a YAML error. */
export function parseTemplateText(text: string, file: string): Record<string, unknown> {
  const document = parseDocument(text, { customTags: TAGS, prettyErrors: true, uniqueKeys: false });
  if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0].message}`);
  const value = document.toJS({ maxAliasCount: 1000 }) as unknown;
  if (typeof value !== 'object' || value === null || isSeq(value) || Array.isArray(value)) {
    throw new Error(`${file} is not a template (no mapping at its top)`);
  }
  return value as Record<string, unknown>;
}
