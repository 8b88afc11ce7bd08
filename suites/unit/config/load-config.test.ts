import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/index.ts';
import { ConfigError } from '../../../lib/errors.ts';
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

  it('turns an unterminated quote into an error naming the file, line and variable', async () => {
    const error = (await load({}, 'A=1\n\nOCTOLAB_MICROVM_KERNEL_PATH="/var/lib/vmlinux\n').catch((e: unknown) => e)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`${ENV_FILE}:3: OCTOLAB_MICROVM_KERNEL_PATH: the value opens with " but never closes it`);
    expect(error.hint).toContain('line 3');
  });

  it('rejects a line that is not KEY=VALUE', async () => {
    const error = (await load({}, 'this is not an assignment\n').catch((e: unknown) => e)) as ConfigError;
    expect(error.message).toContain(`${ENV_FILE}:1: expected KEY=VALUE`);
  });

  it('fails when an explicitly named env file is missing, but not when the default one is', async () => {
    const host = new FakeHost();
    const error = (await loadConfig({ env: { OCTOLAB_ENV_FILE: '/nope/.env.local' }, fs: host.fs, cwd: '/repo' }).catch((e: unknown) => e)) as ConfigError;
    expect(error.code).toBe('CONFIG_FILE_UNREADABLE');
    expect(error.message).toContain('/nope/.env.local: ENOENT');
    await expect(loadConfig({ env: {}, fs: host.fs, cwd: '/repo' })).resolves.toBeDefined();
  });

  it('accepts version constraints: exact, any patch, and at least', async () => {
    expect((await load({ OCTOLAB_FIRECRACKER_VERSION: 'v1.7.0' })).config.firecrackerVersion.op).toBe('exact');
    expect((await load({ OCTOLAB_FIRECRACKER_VERSION: '1.7' })).config.firecrackerVersion.op).toBe('minor');
    expect((await load({ OCTOLAB_FIRECRACKER_VERSION: '>=1.6.0' })).config.firecrackerVersion).toMatchObject({ op: 'at-least', version: [1, 6, 0] });
  });
});
