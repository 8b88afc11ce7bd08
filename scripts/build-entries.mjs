/**
 * The programs scripts/build.mjs builds: output name (dist/<name>.js) → TypeScript entry. Each has
 * a launcher that runs it through scripts/built.mjs (bin/octolab-verify.mjs,
 * fixtures/fake-firecracker/firecracker.mjs, ...). A new program is one line here plus its launcher.
 */
export const ENTRIES = {
  'octolab-verify': 'lib/cli/main.ts',
  'fake-firecracker': 'fixtures/fake-firecracker/main.ts',
  'fake-netd-process': 'fixtures/fake-netd-process.ts',
  'tap-holder': 'suites/host/netd/tap-holder.ts',
};
