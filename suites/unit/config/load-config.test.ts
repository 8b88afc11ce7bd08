import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/index.ts';
import { ConfigError, UsageError } from '../../../lib/errors.ts';
import { FakeHost } from '../../../fixtures/fake-host.ts';

const ENV_FILE = '/repo/backend/.env.local';

function load(env: Record<string, string>, fileText?: string) {
  const host = new FakeHost();
  if (fileText !== undefined) host.withFile(ENV_FILE, { kind: 'file', content: fileText });
  return loadConfig({ env, fs: host.fs, cwd: '/repo' });
}

describe('loadConfig', () => {
  it('uses the seed’s defaults when nothing is set, and says the env file was not found', async () => {
    const { config, envFile, sources } = await load({});
    expect(config).toMatchObject({
      runtime: 'compose',
      firecrackerBin: 'firecracker',
      jailerBin: 'jailer',
      kernelPath: null,
      rootfsPath: null,
      stateDir: '/var/lib/octolab/microvm',
      vcpuCount: 1,
      memSizeMib: 512,
      allowNoJailer: false,
      netdSocket: '/run/octolab/microvm-netd.sock',
      netdGroup: 'octolab',
      kvmDevice: '/dev/kvm',
    });
    expect(config.firecrackerVersion).toMatchObject({ op: 'exact', version: [1, 7, 0] });
    expect(envFile).toEqual({ path: ENV_FILE, found: false });
    expect(sources.runtime).toEqual({ kind: 'default' });
  });

  it('reads backend/.env.local as the setup script writes it, with line numbers as sources', async () => {
    const { config, sources } = await load(
      {},
      [
        'DATABASE_URL=postgres://x',
        '# BEGIN OCTOLAB_MICROVM',
        'OCTOLAB_RUNTIME=firecracker',
        'OCTOLAB_MICROVM_KERNEL_PATH=/var/lib/octolab/firecracker/vmlinux',
        "OCTOLAB_MICROVM_ROOTFS_BASE_PATH='/var/lib/octolab/firecracker/rootfs.ext4'",
        'export OCTOLAB_DEV_UNSAFE_ALLOW_NO_JAILER="yes"  # dev only',
        '# END OCTOLAB_MICROVM',
      ].join('\n'),
    );
    expect(config.runtime).toBe('firecracker');
    expect(config.kernelPath).toBe('/var/lib/octolab/firecracker/vmlinux');
    expect(config.rootfsPath).toBe('/var/lib/octolab/firecracker/rootfs.ext4');
    expect(config.allowNoJailer).toBe(true);
    expect(sources.kernelPath).toEqual({ kind: 'file', name: 'OCTOLAB_MICROVM_KERNEL_PATH', file: ENV_FILE, line: 4 });
  });

  it('lets the environment win over the file, and a main name win over its legacy name', async () => {
    const { config, sources } = await load(
      { OCTOLAB_MICROVM_VCPU_COUNT: '2', MICROVM_STATE_DIR: '/legacy' },
      'OCTOLAB_MICROVM_VCPU_COUNT=4\nOCTOLAB_MICROVM_STATE_DIR=/main\n',
    );
    expect(config.vcpuCount).toBe(2);
    expect(sources.vcpuCount).toEqual({ kind: 'env', name: 'OCTOLAB_MICROVM_VCPU_COUNT' });
    // The environment's legacy name still beats the file's main name: the environment wins.
    expect(config.stateDir).toBe('/legacy');
  });

  it('accepts upstream’s legacy names when the main name is absent', async () => {
    const { config } = await load({ MICROVM_KERNEL_PATH: '/k', DEV_UNSAFE_ALLOW_NO_JAILER: 'true' });
    expect(config.kernelPath).toBe('/k');
    expect(config.allowNoJailer).toBe(true);
  });

  it.each([
    ['OCTOLAB_MICROVM_VCPU_COUNT', 'two', /OCTOLAB_MICROVM_VCPU_COUNT="two" \(from the environment\): allowed is a whole number from 1 to 32/],
    ['OCTOLAB_MICROVM_MEM_SIZE_MIB', '0', /OCTOLAB_MICROVM_MEM_SIZE_MIB="0" .*allowed is a whole number from 1 to 1048576/],
    ['OCTOLAB_RUNTIME', 'docker', /OCTOLAB_RUNTIME="docker" .*allowed is compose or firecracker/],
    ['OCTOLAB_DEV_UNSAFE_ALLOW_NO_JAILER', 'maybe', /allowed is true, 1 or yes/],
    ['OCTOLAB_FIRECRACKER_VERSION', 'latest', /allowed is a version such as 1\.7\.0/],
  ])('rejects %s=%s naming the variable, value, source and what is allowed', async (name, value, pattern) => {
    const error = await load({ [name]: value }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(pattern);
    expect((error as ConfigError).hint).toMatch(/environment wins/);
  });

  it('names the file and line of a bad value that came from .env.local', async () => {
    const error = (await load({}, 'A=1\nOCTOLAB_MICROVM_VCPU_COUNT=two\n').catch((e: unknown) => e)) as ConfigError;
    expect(error.message).toContain(`OCTOLAB_MICROVM_VCPU_COUNT="two" (from ${ENV_FILE}:2)`);
  });

  it('reports every bad value at once', async () => {
    const error = (await load({ OCTOLAB_RUNTIME: 'docker', OCTOLAB_MICROVM_VCPU_COUNT: '0' }).catch((e: unknown) => e)) as ConfigError;
    expect(error.message).toContain('OCTOLAB_RUNTIME="docker"');
    expect(error.message).toContain('OCTOLAB_MICROVM_VCPU_COUNT="0"');
  });

  it('skips a line with an unterminated quote with a warning naming the file, line and variable, and reads the rest', async () => {
    const loaded = await load({}, 'A=1\n\nOCTOLAB_MICROVM_KERNEL_PATH="/var/lib/vmlinux\nOCTOLAB_RUNTIME=firecracker\n');
    expect(loaded.warnings).toHaveLength(1);
    expect(loaded.warnings[0]).toContain(`${ENV_FILE}:3: OCTOLAB_MICROVM_KERNEL_PATH: the value opens with " but never closes it (line ignored; the rest of the file was read)`);
    expect(loaded.warnings[0]).toContain('line 3');
    expect(loaded.config.kernelPath).toBeNull();
    expect(loaded.config.runtime).toBe('firecracker');
    expect(loaded.sources.runtime).toEqual({ kind: 'file', name: 'OCTOLAB_RUNTIME', file: ENV_FILE, line: 4 });
  });

  it('regression: one line that is not KEY=VALUE no longer makes every command exit 78; it is a warning naming file:line', async () => {
    const loaded = await load({}, 'this is not an assignment\nOCTOLAB_MICROVM_STATE_DIR=/srv/state\n');
    expect(loaded.warnings).toEqual([expect.stringContaining(`${ENV_FILE}:1: expected KEY=VALUE, got "this is not an assignment"`)]);
    expect(loaded.config.stateDir).toBe('/srv/state');
  });

  it.each([
    ['OCTOLAB_MICROVM_KERNAL_PATH', 'OCTOLAB_MICROVM_KERNEL_PATH'],
    ['OCTOLAB_RUNTME', 'OCTOLAB_RUNTIME'],
    ['octolab_runtime', 'OCTOLAB_RUNTIME'],
    ['OCTOLAB_NETD_SOCK', 'OCTOLAB_MICROVM_NETD_SOCK'],
  ])('says "did you mean" for %s in the environment or the env file', async (typo, meant) => {
    const fromEnv = await load({ [typo]: 'x' });
    expect(fromEnv.warnings).toEqual([`${typo} in the environment is not a variable octolab-verify reads: did you mean ${meant}? (it is ignored until renamed)`]);
    const fromFile = await load({}, `${typo}=x\n`);
    expect(fromFile.warnings).toEqual([`${typo} at ${ENV_FILE}:1 is not a variable octolab-verify reads: did you mean ${meant}? (it is ignored until renamed)`]);
  });

  it('stays quiet about names it knows, names far from any of its own and names other tools read', async () => {
    const loaded = await load({ OCTOLAB_RUNTIME: 'compose', OCTOLAB_DATABASE_URL: 'x', OCTOLAB_MICROVM_USE_JAILER: 'false', OCTOLAB_RUNNER_TAG: 'kvm', KEEP: '1', MICROVM_STATE_DIR: '/s' }, 'OCTOLAB_MICROVM_VSOCK_PORT=5000\n');
    expect(loaded.warnings).toEqual([]);
  });

  it('fails when an explicitly named env file is missing (78 from OCTOLAB_ENV_FILE, 64 from --dotenv), but not when the default one is', async () => {
    const host = new FakeHost();
    const error = (await loadConfig({ env: { OCTOLAB_ENV_FILE: '/nope/.env.local' }, fs: host.fs, cwd: '/repo' }).catch((e: unknown) => e)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('CONFIG_FILE_UNREADABLE');
    expect(error.summary).toBe('cannot read the env file /nope/.env.local named by OCTOLAB_ENV_FILE: ENOENT (no such file or directory)');
    const flagError = (await loadConfig({ env: {}, envFile: '/nope/x.env', fs: host.fs, cwd: '/repo' }).catch((e: unknown) => e)) as UsageError;
    expect(flagError).toBeInstanceOf(UsageError);
    expect(flagError.summary).toContain('given with --dotenv');
    await expect(loadConfig({ env: {}, fs: host.fs, cwd: '/repo' })).resolves.toBeDefined();
    await expect(loadConfig({ env: { OCTOLAB_ENV_FILE: '' }, fs: host.fs, cwd: '/repo' })).resolves.toBeDefined();
  });

  it.each([
    ['a directory', { kind: 'directory' as const }, 'it is a directory, not a file'],
    ['a FIFO (reading it would block)', { kind: 'fifo' as const }, 'it is a FIFO'],
    ['a huge file', { kind: 'file' as const, size: 64 * 1024 * 1024 }, 'more than an env file'],
  ])('refuses an env file that is %s without reading it', async (_label, file, message) => {
    const host = new FakeHost().withFile('/etc/x.env', file);
    const error = (await loadConfig({ env: { OCTOLAB_ENV_FILE: '/etc/x.env' }, fs: host.fs, cwd: '/repo' }).catch((e: unknown) => e)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.summary).toContain(message);
  });

  it('reads a relative OCTOLAB_KVM_DEVICE as the error it is (78), with what is allowed', async () => {
    const error = (await load({ OCTOLAB_KVM_DEVICE: 'dev/kvm' }).catch((e: unknown) => e)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.summary).toBe('invalid configuration: OCTOLAB_KVM_DEVICE="dev/kvm" (from the environment): allowed is an absolute path (starting with /)');
  });

  it.each(['1.5', '90', '0.25'])('takes OCTOLAB_BOOT_TIMEOUT_SECS=%s by the same rule as boot --timeout', async (value) => {
    expect((await load({ OCTOLAB_BOOT_TIMEOUT_SECS: value })).config.bootTimeoutSecs).toBe(Number(value));
  });

  it.each(['0', '3601', '99999', '1e3', '-5', 'abc'])('refuses OCTOLAB_BOOT_TIMEOUT_SECS=%s as boot --timeout does', async (value) => {
    const error = (await load({ OCTOLAB_BOOT_TIMEOUT_SECS: value }).catch((e: unknown) => e)) as ConfigError;
    expect(error.summary).toContain('allowed is a number of seconds from 0.001 to 3600');
  });

  it('accepts version constraints: exact, any patch, and at least', async () => {
    expect((await load({ OCTOLAB_FIRECRACKER_VERSION: 'v1.7.0' })).config.firecrackerVersion.op).toBe('exact');
    expect((await load({ OCTOLAB_FIRECRACKER_VERSION: '1.7' })).config.firecrackerVersion.op).toBe('minor');
    expect((await load({ OCTOLAB_FIRECRACKER_VERSION: '>=1.6.0' })).config.firecrackerVersion).toMatchObject({ op: 'at-least', version: [1, 6, 0] });
  });
});
