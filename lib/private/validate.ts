import { Token } from 'aws-cdk-lib';
import { FORBIDDEN_CHANNEL_CHARACTER } from '../../lambda/contract';

/** The range a number prop must be in. */
export interface NumberRange {
  /** The smallest valid value. */
  readonly min: number;
  /** The largest valid value; none when absent. */
  readonly max?: number;
  /** Whether only whole numbers are valid. */
  readonly whole?: boolean;
  /** The unit, shown after the range (`MiB`). */
  readonly unit?: string;
}

/**
 * Throws unless `value` is a finite number in `range`, with a message naming `prop`, the value and the range.
 * `undefined` (the default applies) and tokens (known at deploy time only) pass.
 */
export function checkNumber(prop: string, value: number | undefined, range: NumberRange): void {
  if (value === undefined || Token.isUnresolved(value)) {
    return;
  }
  const { min, max, whole } = range;
  if (
    Number.isFinite(value) &&
    value >= min &&
    (max === undefined || value <= max) &&
    (!whole || Number.isInteger(value))
  ) {
    return;
  }
  const kind = whole ? 'a whole number' : 'a number';
  const span = max === undefined ? `of ${min} or more` : `from ${min} to ${max}`;
  const unit = range.unit === undefined ? '' : ` (${range.unit})`;
  throw new Error(`${prop} ${value} is not valid: use ${kind} ${span}${unit}`);
}

/**
 * Throws unless `value` matches `pattern`, with a message naming `prop`, the value and `rule` (what is valid).
 * `undefined` and tokens pass.
 */
export function checkString(prop: string, value: string | undefined, pattern: RegExp, rule: string): void {
  if (value === undefined || Token.isUnresolved(value) || pattern.test(value)) {
    return;
  }
  throw new Error(`${prop} ${show(value)} is not valid: ${rule}`);
}

/** Checks an API Gateway stage name: 1 to 128 letters, digits, `-` and `_` (so never `$default`). */
export function checkStageName(value: string | undefined): void {
  checkString('stageName', value, /^[A-Za-z0-9_-]{1,128}$/, "use 1 to 128 letters, digits, '-' and '_'");
}

/**
 * Checks a CloudWatch namespace: 1 to 255 of letters, digits, space and `. - _ / # :`, not beginning with `:`
 * nor with `AWS/` (reserved for AWS services).
 */
export function checkMetricsNamespace(value: string | undefined): void {
  checkString(
    'metricsNamespace',
    value,
    /^(?!AWS\/|:)[A-Za-z0-9 ._\-/#:]{1,255}$/,
    "use 1 to 255 letters, digits, spaces and '. - _ / # :', not beginning with ':' or 'AWS/'",
  );
}

/** Checks a channel prefix with the runtime's rule for channel names (an empty prefix is no prefix). */
export function checkChannelPrefix(value: string | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) {
    return;
  }
  const bad = FORBIDDEN_CHANNEL_CHARACTER.exec(value);
  if (bad) {
    throw new Error(
      `channelPrefix ${show(value)} is not valid: it contains ${show(bad[0])} at index ${bad.index}, and channel ` +
        'names cannot contain control characters, comma, semicolon or double quote',
    );
  }
}

/** A string as a message shows it: quoted, escaped, and cut after 40 characters (with its length). */
function show(value: string): string {
  return value.length <= 60
    ? JSON.stringify(value)
    : `${JSON.stringify(value.slice(0, 40))}… (${value.length} characters)`;
}

/** Checks channel-name patterns (a setting of the runtime, joined with commas): each non-blank, without a comma. */
export function checkChannelPatterns(prop: string, patterns: readonly string[]): void {
  for (const pattern of patterns) {
    checkString(`${prop} pattern`, pattern, /^(?=.*\S)[^,]+$/, 'use a non-empty name with * and no comma');
  }
}
