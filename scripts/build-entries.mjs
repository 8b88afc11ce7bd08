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
  'fake-shared-netd': 'fixtures/fake-shared-netd/process.ts',
  'foreground-probe': 'suites/unit/host/foreground-probe.ts',
};

/**
 * Modules the build replaces with what they render when run at build time: path → the exported
 * function that returns the replacement's source, and the files that function reads (recorded in
 * the stamp, so a change rebuilds). The fake Firecracker's body validators are compiled here once
 * instead of at every start of the fake.
 */
export const PRECOMPILED = {
  'fixtures/fake-firecracker/body-validators.ts': {
    render: 'renderPrecompiledModule',
    reads: ['fixtures/fake-firecracker/firecracker-v1.7.0-api.yaml'],
  },
};
