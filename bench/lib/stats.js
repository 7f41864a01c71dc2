/**
 * Small statistics and timing helpers shared by the benches: medians, percentiles, a timed loop and the
 * formatting of numbers for the tables.
 */
'use strict';

/** Median of a list of numbers (NaN for an empty list). */
function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile `p` (0-100) of a sorted typed array or array, reading its first `count` entries. */
function percentileSorted(sorted, p, count = sorted.length) {
  if (count === 0) return Number.NaN;
  const rank = Math.min(count - 1, Math.max(0, Math.ceil((p / 100) * count) - 1));
  return sorted[rank];
}

/** Smallest and largest of a list, for "range over runs" columns. */
function range(values) {
  return values.length === 0 ? [Number.NaN, Number.NaN] : [Math.min(...values), Math.max(...values)];
}

/** Current time in milliseconds with sub-millisecond precision (monotonic). */
function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Runs `fn` again and again for at least `minMs` (and at least `minIterations` times); returns the elapsed
 * milliseconds and the iteration count. `fn`'s return values are folded into a sink so they stay observable.
 */
function timeLoop(fn, minMs, minIterations = 1) {
  let iterations = 0;
  let sink = 0;
  const start = nowMs();
  let elapsed = 0;
  do {
    const result = fn();
    sink += typeof result === 'number' ? result : (result?.length ?? 1);
    iterations++;
    elapsed = nowMs() - start;
  } while (elapsed < minMs || iterations < minIterations);
  if (sink < 0) throw new Error('unreachable');
  return { elapsed, iterations };
}

/** Formats a number with `digits` significant-ish decimals for the tables. */
function fmt(value, digits = 1) {
  if (value === undefined || value === null || Number.isNaN(value)) return 'n/a';
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(Math.max(0, digits - 1));
  return value.toFixed(digits);
}

/** A ratio as `0.42x`. */
function ratio(value) {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 100 ? `${Math.round(value).toLocaleString('en-US')}x` : `${value.toFixed(2)}x`;
}

/** Bytes as `12.3 KB` (1 KB = 1000 bytes) with the exact count. */
function kb(bytes) {
  return `${(bytes / 1000).toFixed(1)} KB`;
}

/** Milliseconds `fn` (sync or async) took. */
async function timed(fn) {
  const start = nowMs();
  await fn();
  return nowMs() - start;
}

/** Resolves after `ms` milliseconds. */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

module.exports = { median, percentileSorted, range, nowMs, timed, timeLoop, fmt, ratio, kb, sleep };
