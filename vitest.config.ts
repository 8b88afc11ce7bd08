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
];

export default defineConfig({
  test: {
    tags,
    strictTags: true,
    reporters: ['default', './suites/support/junit-reporter.ts'],
    setupFiles: ['./suites/support/fuzz-seed.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['suites/unit/**/*.test.ts'],
          benchmark: { include: ['suites/unit/**/*.bench.ts'] },
        },
      },
      {
        extends: true,
        test: {
          name: 'host',
          include: ['suites/host/**/*.test.ts'],
          benchmark: { include: ['suites/host/**/*.bench.ts'] },
          globalSetup: ['./suites/support/host-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
