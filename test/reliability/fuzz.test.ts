/**
 * Fuzzing with fast-check: 10^5 cases in total, split across the WebSocket-over-HTTP codec, the meta header
 * encoding and the GRIP_URL parser (targets and properties in test/helpers/reliability-fuzz*.ts). `npm run fuzz`
 * runs the same targets for 10^6 cases against the compiled runtime and records the result in RELIABILITY.md.
 * FUZZ_SEED=<n> replays a run.
 */
import { casesFor, FUZZ_TARGETS, type FuzzResult, runFuzzTarget } from '../helpers/reliability-fuzz';

const SUITE_CASES = 100_000;
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const results = new Map<string, FuzzResult>();

/** The outcomes of a target's run above (the tests run in order). */
function outcomesOf(name: string): Readonly<Record<string, number>> {
  const result = results.get(name);
  if (!result) throw new Error(`${name} did not run`);
  return result.outcomes;
}

/** Fails with the seed and the shrunk counterexample, so the failure can be replayed. */
function expectNoFailure(result: FuzzResult): void {
  if (result.failures > 0) {
    throw new Error(
      `${result.name} failed after ${result.runs} cases (FUZZ_SEED=${result.seed}):\n` +
        `counterexample: ${result.counterexample}\n${result.error}`,
    );
  }
}

describe('fuzzing (10^5 cases in total)', () => {
  test('the targets share exactly the suite total', () => {
    const shares = FUZZ_TARGETS.reduce((sum, t) => sum + t.share, 0);
    expect(shares).toBeCloseTo(1, 10);
    expect(FUZZ_TARGETS.reduce((sum, t) => sum + casesFor(t, SUITE_CASES), 0)).toBe(SUITE_CASES);
  });

  test.each(FUZZ_TARGETS.map((t) => [t.name, t] as const))(
    '%s',
    (_name, target) => {
      const numRuns = casesFor(target, SUITE_CASES);

      const result = runFuzzTarget(target, { numRuns, seed });
      results.set(target.name, result);

      expectNoFailure(result);
      expect(result.runs).toBe(numRuns);
      // Not vacuous: every target reaches more than one outcome (accepted and refused inputs, both encodings...).
      const outcomes = Object.keys(result.outcomes);
      expect(outcomes.length).toBeGreaterThan(1);
    },
    120_000,
  );

  test('valid bodies decode exactly; mutants are both refused and accepted (the generator is near the grammar)', () => {
    const outcomes = outcomesOf('codec: valid bodies, mutated');

    expect(outcomes['valid-exact']).toBeGreaterThan(1_000);
    expect(outcomes['mutant-rejected']).toBeGreaterThan(1_000);
    expect(outcomes['mutant-decoded']).toBeGreaterThan(100);
  });

  test('lone surrogates in meta come back as U+FFFD; well-formed values come back exactly', () => {
    const outcomes = outcomesOf('meta: values of any Unicode');

    expect(outcomes.exact).toBeGreaterThan(1_000);
    expect(outcomes['surrogates-replaced']).toBeGreaterThan(100);
    expect(outcomes['over-cap']).toBeGreaterThan(100);
  });
});
