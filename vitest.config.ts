import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Tags say what a test needs from the host; undeclared tags fail the file (strictTags).
const tags = [
  { name: 'root', description: 'runs as root' },
  { name: 'kvm', description: 'opens /dev/kvm and issues KVM ioctls' },
  { name: 'net', description: 'creates network namespaces, bridges and TAPs' },
  { name: 'users', description: 'creates throwaway users and groups' },
  { name: 'boot', description: 'boots (or emulates booting) a microVM' },
  { name: 'image', description: 'builds or inspects the hello rootfs image' },
  { name: 'systemd', description: 'checks the shipped systemd unit with systemd-analyze' },
  { name: 'promtool', description: "checks the doctor's Prometheus exposition with promtool" },
  { name: 'browser', description: 'opens the fleet report in a headless Chromium' },
  { name: 'slow', description: 'takes more than a few seconds' },
  { name: 'fuzz', description: 'feeds generated hostile input' },
  { name: 'soak', description: 'repeats a scenario many times to catch leaks and rare races (soak project)' },
];

/** Makes dist/ (the built CLI, fakes and helpers that tests spawn) current before tests run. */
const BUILD_SETUP = './suites/support/build-global-setup.ts';
/** Test files of the unit project run at once; VITEST_MAX_WORKERS overrides it. */
const UNIT_WORKERS = Number(process.env.VITEST_MAX_WORKERS) || Math.max(2, availableParallelism());

export default defineConfig({
  test: {
    tags,
    strictTags: true,
    reporters: ['default', './suites/support/junit-reporter.ts', './suites/support/project-timing-reporter.ts'],
    setupFiles: ['./suites/support/fuzz-seed.ts'],
    // Projects run one group after another (unit, then host, then soak), so each one's wall time is
    // its own: the project-timing reporter prints it.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['suites/unit/**/*.test.ts'],
          benchmark: { include: ['suites/unit/**/*.bench.ts'] },
          globalSetup: [BUILD_SETUP],
          // vitest's default (cores - 1) is one file at a time on 2 cores, while many unit files
          // mostly wait on the processes they spawn: one worker per core at least.
          maxWorkers: UNIT_WORKERS,
          // Test files share a worker's module cache (lib/, fixtures/, vitest, fast-check load once
          // per worker, not once per file): about a third of the CPU time. Safe because no unit
          // test mocks modules or keeps state in shared modules (docs/development.md), and
          // worker-hygiene.ts undoes fake timers, spies and stubs after every file.
          isolate: false,
          setupFiles: ['./suites/support/worker-hygiene.ts'], // after the root's fuzz-seed.ts (arrays merge)
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'host',
          include: ['suites/host/**/*.test.ts'],
          benchmark: { include: ['suites/host/**/*.bench.ts'] },
          globalSetup: [BUILD_SETUP, './suites/support/host-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // Long runs (many boots in a row, chaos), kept out of the unit project so that one stays
        // quick. No root gate: a test that needs root or KVM gates itself (suites/support/require.ts).
        // pnpm test runs it too; pnpm test:soak runs it alone.
        extends: true,
        test: {
          name: 'soak',
          include: ['suites/soak/**/*.test.ts'],
          benchmark: { include: ['suites/soak/**/*.bench.ts'] },
          globalSetup: [BUILD_SETUP],
          testTimeout: 600_000,
          hookTimeout: 60_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
