/** The shape of a fuzz target of the reliability suite (see reliability-fuzz.ts for the runner). */
import type fc from 'fast-check';

/** One fuzzed property. */
export interface FuzzTarget<T = unknown> {
  /** Short name, e.g. `codec: arbitrary bytes`. */
  readonly name: string;
  /** Share of the total number of cases this target gets (the shares of all targets add up to 1). */
  readonly share: number;
  /** The inputs. */
  readonly arbitrary: fc.Arbitrary<T>;
  /** Known tricky inputs, always run first (they count in the cases). */
  readonly examples?: readonly T[];
  /** Throws when the property does not hold for `value`; otherwise returns the outcome's label. */
  check(value: T): string;
}

/** Declares a target, inferring its input type from the arbitrary. */
export function fuzzTarget<T>(target: FuzzTarget<T>): FuzzTarget<T> {
  return target;
}
