import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Unit tests: pure functions and in-memory modules, no server, no child process, no database
 * (wal-sync writes a temporary file, nothing more). Everything else — hubs on real ports, real
 * provider and subscriber servers, child processes, the stores — is end to end, so a new test
 * file is end to end unless it is listed here.
 */
const UNIT_TESTS = [
  'test/bench-cpu.test.ts',
  'test/catalog.test.ts',
  'test/compatibility.test.ts',
  'test/config.test.ts',
  'test/credentials.test.ts',
  'test/delivery-rules.test.ts',
  'test/group-commit.test.ts',
  'test/ids.test.ts',
  'test/manifest.test.ts',
  'test/relay-signing.test.ts',
  'test/relay-trace.test.ts',
  'test/sdk-options.test.ts',
  'test/wal-sync.test.ts',
];

export default defineConfig({
  test: {
    // Many end-to-end tests start hubs as child processes; on a loaded 2-core machine one start
    // takes 3–5 s, so 20 s was too short for a test that starts several.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two files at once even on 2 cores (vitest's default is cores − 1): most end-to-end time is
    // spent waiting on child processes, ports and the browser. Measured on the 2-core machine:
    // the whole suite in 6.0 min instead of 8.3, every test passing.
    maxWorkers: 2,
    reporters: ['default'],
    // `vitest run` runs both projects; `--project unit` or `--project e2e` one of them.
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT_TESTS } },
      { extends: true, test: { name: 'e2e', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...UNIT_TESTS] } },
    ],
  },
});
