/**
 * Jest runs the tests as projects named after their layer, so a failure says where it lives:
 * - unit: the runtime (test/lambda), the constructs (test/lib), the local tools (test/local) and the client
 *   (test/client), each against
 *   real local parts (HTTP servers, dynalite, Pushpin where a local tool drives it);
 * - e2e: whole chats and holds through Pushpin, the API Gateway emulator, dynalite and Chromium (test/e2e);
 * - reliability: forgeries, bad input, fuzzing (test/reliability);
 * - packaging: bundles, assets, the packed package in a consumer app, the dev server command;
 * - load: the bounded load test, run on its own after the rest (it measures under load).
 * `npm test` runs them all (scripts/test.js); `npm run test:<layer>` runs one.
 */
const transform = {
  '^.+\\.[tj]sx?$': [
    'ts-jest',
    {
      tsconfig: {
        allowJs: true,
        isolatedModules: true,
        module: 'commonjs',
        esModuleInterop: true,
        skipLibCheck: true,
      },
    },
  ],
};

const PACKAGING = ['<rootDir>/test/scripts/', '<rootDir>/test/bin/', '<rootDir>/test/lib/consumer.test.ts'];

/** A project of the tests under `roots`, minus `ignore`. */
function project(displayName, roots, ignore = []) {
  return {
    displayName,
    testEnvironment: 'node',
    roots,
    testMatch: ['**/*.test.ts'],
    testPathIgnorePatterns: ['/node_modules/', ...ignore],
    transform,
    transformIgnorePatterns: ['/node_modules/(?!(@fanoutio/grip|jose)/)'],
  };
}

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    project(
      'unit',
      ['<rootDir>/test/lambda', '<rootDir>/test/lib', '<rootDir>/test/local', '<rootDir>/test/client'],
      PACKAGING,
    ),
    project('e2e', ['<rootDir>/test/e2e']),
    project('reliability', ['<rootDir>/test/reliability'], ['<rootDir>/test/reliability/load']),
    project(
      'packaging',
      ['<rootDir>/test/scripts', '<rootDir>/test/bin', '<rootDir>/test/lib'],
      ['<rootDir>/test/lib/(?!consumer\\.test\\.ts)'],
    ),
    project('load', ['<rootDir>/test/reliability'], ['<rootDir>/test/reliability/(?!load)']),
  ],
  testTimeout: 30000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
