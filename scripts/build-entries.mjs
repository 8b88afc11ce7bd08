/**
 * The CLI, built as CommonJS (scripts/build.mjs says why): its TypeScript entry and its output in
 * dist/, which bin/octolab-verify.cjs runs through scripts/built.cjs.
 */
export const CLI_ENTRY = { source: 'lib/cli/main.ts', output: 'octolab-verify.cjs' };

/**
 * The other programs scripts/build.mjs builds, as ES modules: output name (dist/<name>.js) →
 * TypeScript entry. Each has a launcher that runs it through scripts/built.cjs
 * (fixtures/fake-firecracker/firecracker.mjs, ...). A new program is one line here plus its launcher.
 */
export const ENTRIES = {
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
