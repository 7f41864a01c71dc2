/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after jest's own summary; not when
 * scripts/test.js runs jest, which prints one such line for all its runs.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    if (process.env.FAAS_GRIP_TEST_SUMMARY === 'off') return;
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    process.stdout.write(
      `\ntests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped\n`,
    );
  }
}
module.exports = SummaryReporter;
