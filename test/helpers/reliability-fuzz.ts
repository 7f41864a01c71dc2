/**
 * The fuzzing harness of the reliability suite: each target is an arbitrary and a check that throws when a
 * property is violated and otherwise names the outcome (`decoded`, `rejected`, ...). The same targets run in jest
 * (10^5 cases in total) and in `npm run fuzz` (10^6, against the compiled runtime), so both prove the same thing.
 * Uses no jest API.
 */
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { CODEC_TARGETS } from './reliability-fuzz-codec';
import { CONFIG_TARGETS } from './reliability-fuzz-config';
import type { FuzzTarget } from './reliability-fuzz-target';

export type { FuzzTarget } from './reliability-fuzz-target';

/** What one fuzzing run found. */
export interface FuzzResult {
  readonly name: string;
  /** Cases run (fewer than asked only when a failure stopped the run). */
  readonly runs: number;
  /** 0 or 1: a run stops at the first counterexample (after shrinking it). */
  readonly failures: number;
  readonly seed: number;
  /** The shrunk counterexample and the error it raised, when the property failed. */
  readonly counterexample?: string;
  readonly error?: string;
  /** How many cases ended in each outcome (shrinking runs included). */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly durationMs: number;
  /** The slowest single check, in ms (a hang would show here, or stop the watchdog of `npm run fuzz`). */
  readonly maxCallMs: number;
}

/** Options of {@link runFuzzTarget}. */
export interface FuzzRunOptions {
  readonly numRuns: number;
  /** Seed for a reproducible run; default random. */
  readonly seed?: number;
  /** Called every `progressEvery` cases with the number of cases done. */
  readonly onProgress?: (runs: number) => void;
  readonly progressEvery?: number;
}

/** Every fuzz target of the suite: the WebSocket-over-HTTP codec, meta header encoding and GRIP_URL parsing. */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [...CODEC_TARGETS, ...CONFIG_TARGETS];

/** Cases of `target` out of `total` (at least 1). */
export function casesFor(target: FuzzTarget, total: number): number {
  return Math.max(1, Math.round(total * target.share));
}

/** Runs `target` for `options.numRuns` cases and reports what happened; never throws for a failed property. */
export function runFuzzTarget(target: FuzzTarget, options: FuzzRunOptions): FuzzResult {
  const outcomes: Record<string, number> = {};
  let maxCallMs = 0;
  let calls = 0;
  const every = options.progressEvery ?? 10_000;
  const property = fc.property(target.arbitrary, (value) => {
    const started = performance.now();
    try {
      const outcome = target.check(value);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    } finally {
      maxCallMs = Math.max(maxCallMs, performance.now() - started);
      calls++;
      if (options.onProgress && calls % every === 0) options.onProgress(calls);
    }
  });
  const seed = options.seed ?? (Date.now() ^ (Math.random() * 0x100000000)) | 0;
  const started = performance.now();
  const examples = (target.examples ?? []).map((example) => [example] as [unknown]);
  const details = fc.check(property, { numRuns: options.numRuns, seed, examples });
  const durationMs = performance.now() - started;
  return {
    name: target.name,
    runs: details.numRuns,
    failures: details.failed ? 1 : 0,
    seed: details.seed,
    ...(details.failed
      ? { counterexample: visible(fc.stringify(details.counterexample)), error: describeError(details.errorInstance) }
      : {}),
    outcomes,
    durationMs,
    maxCallMs,
  };
}

function describeError(error: unknown): string {
  return visible(error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 2000);
}

/** Escapes every character outside printable ASCII (and newlines), so invisible ones show in a report. */
function visible(text: string): string {
  return text.replace(/[^\x20-\x7e\n]/gu, (c) => [...c].map((u) => `\\u{${u.codePointAt(0)!.toString(16)}}`).join(''));
}
