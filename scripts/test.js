#!/usr/bin/env node
/**
 * `npm test`: every jest project, the bounded load test last and alone (it measures under load, so it must not
 * share the machine with the other suites), then one closing line for the whole run:
 * `tests: N passed, N failed, N skipped`. Extra arguments go to both jest runs (for example `--ci`).
 */
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const RUNS = [['unit', 'e2e', 'reliability', 'packaging'], ['load']];

const dir = mkdtempSync(join(tmpdir(), 'faas-grip-test-'));
const total = { passed: 0, failed: 0, skipped: 0, suitesFailed: 0 };
let status = 0;
RUNS.forEach((projects, i) => {
  const outputFile = join(dir, `run-${i}.json`);
  const jest = require.resolve('jest/bin/jest');
  const run = spawnSync(
    process.execPath,
    [jest, '--selectProjects', ...projects, '--json', '--outputFile', outputFile, ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, FAAS_GRIP_TEST_SUMMARY: 'off' } },
  );
  if (run.status !== 0) status = run.status ?? 1;
  try {
    const result = JSON.parse(readFileSync(outputFile, 'utf8'));
    total.passed += result.numPassedTests;
    total.failed += result.numFailedTests;
    total.skipped += result.numPendingTests + result.numTodoTests;
    total.suitesFailed += result.numRuntimeErrorTestSuites;
  } catch {
    total.failed += 1; // the run wrote no result: count it as a failure so the closing line cannot read green
  }
});
rmSync(dir, { recursive: true, force: true });
if (total.suitesFailed > 0) process.stdout.write(`\n${total.suitesFailed} test suite(s) failed to run\n`);
process.stdout.write(`\ntests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
process.exit(status);
