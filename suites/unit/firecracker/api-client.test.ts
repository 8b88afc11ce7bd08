import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirecrackerApi, type FirecrackerApi } from '../../../lib/firecracker/api-client.ts';
import { FirecrackerApiError } from '../../../lib/firecracker/errors.ts';
import { KVM_DENIED_FAULT } from '../../../fixtures/fake-firecracker/index.ts';
import { startFake, type RunningFake } from './fake-process.ts';

/** Resolves with the FirecrackerApiError a call rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<FirecrackerApiError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FirecrackerApiError);
  return error as FirecrackerApiError;
}

/**
 * Starts one FakeFirecracker (with `args`) and a client on its socket for a describe block, runs
 * `prepare` once, and stops both after the block; read them through the returned getters.
 */
function fakeWithClient(args: string[], prepare?: (api: FirecrackerApi, fake: RunningFake) => Promise<void>) {
  let fake: RunningFake | undefined;
  let api: FirecrackerApi | undefined;
  beforeAll(async () => {
    fake = await startFake(args);
    api = createFirecrackerApi({ socketPath: fake.socket });
    await prepare?.(api, fake);
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await fake?.stop();
  }, 60_000);
  return {
    get fake(): RunningFake {
      if (!fake) throw new Error('FakeFirecracker is not running (beforeAll failed)');
      return fake;
    },
    get api(): FirecrackerApi {
      if (!api) throw new Error('no API client (beforeAll failed)');
      return api;
    },
  };
}

describe('the API client against FakeFirecracker before boot', { timeout: 60_000 }, () => {
  const rig = fakeWithClient(['--id', 'client-test']);

  it('reads GET / as InstanceInfo with the --id and state "Not started"', async () => {
    expect(await rig.api.describeInstance()).toEqual({ id: 'client-test', state: 'Not started', vmm_version: '1.7.0', app_name: 'Firecracker' });
  });

  it('reads GET /version as the bare version number', async () => {
    expect(await rig.api.getVersion()).toBe('1.7.0');
  });

  it('reads the never-configured machine config with Firecracker’s defaults and key order', async () => {
    const response = await rig.api.raw('GET', '/machine-config');
    expect(response.text).toBe('{"vcpu_count":1,"mem_size_mib":128,"smt":false,"track_dirty_pages":false,"huge_pages":"None"}');
  });

  it('puts a machine config and reads it back', async () => {
    await rig.api.putMachineConfig({ vcpu_count: 2, mem_size_mib: 256, smt: false });
    expect(await rig.api.getMachineConfig()).toEqual({ vcpu_count: 2, mem_size_mib: 256, smt: false, track_dirty_pages: false, huge_pages: 'None' });
  });

  it.each([
    [{ vcpu_count: 0, mem_size_mib: 128 }, 'Machine config error: The number of vCPUs must be greater than 0, less than 32 and must be 1 or an even number if SMT is enabled.'],
    [{ vcpu_count: 33, mem_size_mib: 128 }, 'Machine config error: The number of vCPUs must be greater than 0, less than 32 and must be 1 or an even number if SMT is enabled.'],
    [{ vcpu_count: 3, mem_size_mib: 128, smt: true }, 'Machine config error: The number of vCPUs must be greater than 0, less than 32 and must be 1 or an even number if SMT is enabled.'],
    [{ vcpu_count: 1, mem_size_mib: 0 }, 'Machine config error: The memory size (MiB) is either 0, or not a multiple of the configured page size.'],
    [{ vcpu_count: 300, mem_size_mib: 128 }, 'An error occurred when deserializing the json body of a request: invalid value: integer `300`, expected u8 at line 1 column 17.'],
  ])('refuses machine config %j with 400 and Firecracker’s fault_message', async (body, fault) => {
    const error = await failure(rig.api.putMachineConfig(body));
    expect(error).toMatchObject({ route: 'PUT /machine-config', status: 400, faultMessage: fault, code: 'FC_API_ERROR' });
    expect(error.summary).toBe(`PUT /machine-config answered 400: ${fault}`);
  });

  it('names the missing field and the column serde stopped at', async () => {
    const response = await rig.api.raw('PUT', '/machine-config', '{"mem_size_mib": 128}');
    expect(response.text).toBe('{"fault_message":"An error occurred when deserializing the json body of a request: missing field `vcpu_count` at line 1 column 21."}');
  });

  it('rejects an unknown field listing the struct’s fields in declaration order', async () => {
    const response = await rig.api.raw('PUT', '/boot-source', '{"foo": 1}');
    expect(JSON.parse(response.text).fault_message).toBe(
      'An error occurred when deserializing the json body of a request: unknown field `foo`, expected one of `kernel_image_path`, `initrd_path`, `boot_args` at line 1 column 6.',
    );
  });

  it('answers a deprecated cpu_template with 204 and the Deprecation header', async () => {
    const response = await rig.api.raw('PUT', '/machine-config', JSON.stringify({ vcpu_count: 1, mem_size_mib: 128, cpu_template: 'None' }));
    expect(response.status).toBe(204);
    expect(response.headers.deprecation).toBe('true');
  });

  it.each([
    ['{}', 'Empty PATCH request.', 400],
    ['{"smt": true}', null, 204],
  ])('PATCH /machine-config %s answers %s', async (body, fault, status) => {
    const response = await rig.api.raw('PATCH', '/machine-config', body);
    expect(response.status).toBe(status);
    if (fault) expect(JSON.parse(response.text)).toEqual({ fault_message: fault });
  });

  it('opens the kernel when the boot source is PUT and reports a missing one as Firecracker does', async () => {
    const error = await failure(rig.api.putBootSource({ kernel_image_path: path.join(rig.fake.dir, 'no-such-vmlinux') }));
    expect(error.faultMessage).toBe('Boot source error: The kernel file cannot be opened: No such file or directory (os error 2)');
    expect(error.hint).toMatch(/OCTOLAB_MICROVM_KERNEL_PATH/);
    await rig.api.putBootSource({ kernel_image_path: rig.fake.images.kernel, boot_args: 'console=ttyS0 reboot=k panic=1 pci=off' });
  });

  it.each([
    ['/drives/ro-otfs', '{"drive_id":"ro-otfs","is_root_device":true}', 'API Resource IDs can only contain alphanumeric characters and underscores.'],
    ['/drives/', '{"drive_id":"x","is_root_device":true}', 'The ID cannot be empty.'],
    ['/drives/rootfs', '{"drive_id":"other","is_root_device":true,"path_on_host":"/x"}', 'The id from the path does not match the id from the body!'],
    ['/drives/rootfs', '{"drive_id":"rootfs","is_root_device":true}', 'Drive config error: Unable to create the virtio block device: InvalidBlockConfig'],
    ['/network-interfaces/eth0', '{"iface_id":"eth1","host_dev_name":"tap0"}', 'The id from the path [eth0] does not match the id from the body [eth1]!'],
    ['/network-interfaces/eth-0', '{"iface_id":"eth-0","host_dev_name":"tap0"}', 'API Resource IDs can only contain alphanumeric characters and underscores.'],
  ])('PUT %s with %s answers "%s"', async (route, body, fault) => {
    const response = await rig.api.raw('PUT', route, body);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toEqual({ fault_message: fault });
  });

  it('opens the drive file at PUT time and reports a missing one with the path', async () => {
    const missing = path.join(rig.fake.dir, 'missing.ext4');
    const error = await failure(rig.api.putDrive({ drive_id: 'rootfs', path_on_host: missing, is_root_device: true }));
    expect(error.faultMessage).toBe(
      `Drive config error: Unable to create the virtio block device: VirtioBackend(BackingFile(Os { code: 2, kind: NotFound, message: "No such file or directory" }, "${missing}"))`,
    );
  });

  it('accepts one root drive, replaces it under the same id, and refuses a second root device', async () => {
    await rig.api.putDrive({ drive_id: 'rootfs', path_on_host: rig.fake.images.rootfs, is_root_device: true, is_read_only: false });
    await rig.api.putDrive({ drive_id: 'rootfs', path_on_host: rig.fake.images.rootfs, is_root_device: true, is_read_only: true });
    const error = await failure(rig.api.putDrive({ drive_id: 'second', path_on_host: rig.fake.images.rootfs, is_root_device: true }));
    expect(error.faultMessage).toBe('Drive config error: A root block device already exists!');
    const config = JSON.parse((await rig.api.raw('GET', '/vm/config')).text);
    expect(config.drives).toEqual([
      { drive_id: 'rootfs', partuuid: null, is_root_device: true, cache_type: 'Unsafe', is_read_only: true, path_on_host: rig.fake.images.rootfs, rate_limiter: null, io_engine: 'Sync', socket: null },
    ]);
    await rig.api.putDrive({ drive_id: 'rootfs', path_on_host: rig.fake.images.rootfs, is_root_device: true, is_read_only: false });
  });

  it('refuses a drive or interface id the API would refuse, without sending anything', async () => {
    const error = await failure(rig.api.putDrive({ drive_id: 'root-fs', path_on_host: '/x', is_root_device: true }));
    expect(error).toMatchObject({ code: 'FC_INVALID_ID', status: null });
  });

  it('attaches an interface, lower-cases its MAC, and refuses the MAC or the TAP a second time', async () => {
    await rig.api.putNetworkInterface({ iface_id: 'eth0', host_dev_name: 'otp0123456789', guest_mac: '06:00:AC:10:00:02' });
    const sameMac = await failure(rig.api.putNetworkInterface({ iface_id: 'eth1', host_dev_name: 'otp9999999999', guest_mac: '06:00:ac:10:00:02' }));
    expect(sameMac.faultMessage).toBe('Network config error: The MAC address is already in use: 06:00:ac:10:00:02');
    const sameTap = await failure(rig.api.putNetworkInterface({ iface_id: 'eth1', host_dev_name: 'otp0123456789' }));
    expect(sameTap.faultMessage).toMatch(/^Network config error: Could not create the network device: /);
  });

  it('needs the log file to exist before PUT /logger, then logs there', async () => {
    const log = path.join(rig.fake.dir, 'fc.log');
    const error = await failure(rig.api.putLogger({ log_path: log }));
    expect(error.faultMessage).toBe('Logger error: Failed to open target file: No such file or directory (os error 2)');
    await fs.writeFile(log, '');
    await rig.api.putLogger({ log_path: log, level: 'Info', show_level: true });
    await rig.api.describeInstance();
    expect(await fs.readFile(log, 'utf8')).toMatch(/\[client-test:fc_api:INFO\] The API server received a Get request on "\/"\./);
  });

  it('initialises metrics once only', async () => {
    const metrics = path.join(rig.fake.dir, 'fc.metrics');
    await fs.writeFile(metrics, '');
    expect((await rig.api.raw('PUT', '/metrics', JSON.stringify({ metrics_path: metrics }))).status).toBe(204);
    const again = await rig.api.raw('PUT', '/metrics', JSON.stringify({ metrics_path: metrics }));
    expect(JSON.parse(again.text).fault_message).toBe('Metrics error: Cannot initialize the metrics system due to bad user input: Reinitialization of metrics not allowed.');
  });

  it.each([
    ['FlushMetrics', 'The requested operation is not supported before starting the microVM.'],
    ['SendCtrlAltDel', 'The requested operation is not supported before starting the microVM.'],
  ] as const)('refuses the post-boot action %s before boot', async (action, fault) => {
    expect((await failure(rig.api.action(action))).faultMessage).toBe(fault);
  });

  it('refuses an unknown action with serde’s unknown-variant text', async () => {
    const response = await rig.api.raw('PUT', '/actions', '{"action_type":"Reboot"}');
    expect(JSON.parse(response.text).fault_message).toBe(
      'An error occurred when deserializing the json body of a request: unknown variant `Reboot`, expected one of `FlushMetrics`, `InstanceStart`, `SendCtrlAltDel` at line 1 column 23.',
    );
  });

  it.each([
    ['GET', '/foo/bar', undefined, 'Invalid request method and/or path: GET foo.'],
    ['PATCH', '/boot-source', '{"a":1}', 'Invalid request method and/or path: PATCH boot-source.'],
    ['PATCH', '/logger', '{"a":1}', 'Invalid request method and/or path: PATCH logger.'],
    ['GET', '/', '{}', 'GET request cannot have a body.'],
    ['GET', '/version', '{}', 'GET request cannot have a body.'],
    ['PUT', '/nowhere', undefined, 'Empty PUT request.'],
    ['PATCH', '/nowhere', undefined, 'Empty PATCH request.'],
  ])('%s %s answers "%s" (routing order)', async (method, route, body, fault) => {
    const response = await rig.api.raw(method, route, body);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toEqual({ fault_message: fault });
  });

  it.each([
    ['/drives/rootfs', '{"drive_id":"rootfs","path_on_host":"/x"}'],
    ['/network-interfaces/eth0', '{"iface_id":"eth0"}'],
  ])('refuses the post-boot-only PATCH %s before boot', async (route, body) => {
    const response = await rig.api.raw('PATCH', route, body);
    expect(JSON.parse(response.text)).toEqual({ fault_message: 'The requested operation is not supported before starting the microVM.' });
  });

  it('opens the initrd too when the boot source names one', async () => {
    const error = await failure(rig.api.putBootSource({ kernel_image_path: rig.fake.images.kernel, initrd_path: path.join(rig.fake.dir, 'no-initrd') }));
    expect(error.faultMessage).toBe('Boot source error: The initrd file cannot be opened: No such file or directory (os error 2)');
  });

  it('answers a real Firecracker route the fake does not model with a loud 400, never a silent success', async () => {
    const response = await rig.api.raw('PUT', '/balloon', '{"amount_mib":1,"deflate_on_oom":false}');
    expect(JSON.parse(response.text).fault_message).toBe('FakeFirecracker: PUT /balloon is a real Firecracker v1.7.0 route that this fake does not implement');
  });

  it('treats trailing path segments as the first segment’s route', async () => {
    expect(JSON.parse((await rig.api.raw('GET', '/version/extra')).text)).toEqual({ firecracker_version: '1.7.0' });
  });
});

describe('the API client against FakeFirecracker across InstanceStart', { timeout: 60_000 }, () => {
  const rig = fakeWithClient(['--id', 'boot-test']);

  it('refuses InstanceStart without a kernel', async () => {
    expect((await failure(rig.api.action('InstanceStart'))).faultMessage).toBe('Start microvm error: Cannot start microvm without kernel configuration.');
  });

  it('starts the guest, which prints its transcript on stdout, reboots, and firecracker exits 0', async () => {
    await rig.api.putBootSource({ kernel_image_path: rig.fake.images.kernel, boot_args: 'console=ttyS0 reboot=k panic=1 pci=off' });
    await rig.api.putDrive({ drive_id: 'rootfs', path_on_host: rig.fake.images.rootfs, is_root_device: true, is_read_only: false });
    await rig.api.action('InstanceStart');
    expect(await rig.fake.exited).toEqual({ code: 0, signal: null });
    expect(rig.fake.stdout()).toMatch(/\n\[\s+\d+\.\d{6}\] Kernel command line: console=ttyS0 reboot=k panic=1 pci=off root=\/dev\/vda rw/);
    expect(rig.fake.stdout()).toMatch(/\nHello, World!\n\[\s+\d+\.\d{6}\] reboot: Restarting system\n/);
    expect(rig.fake.stdout()).toMatch(/Firecracker exiting successfully\. exit_code=0\n$/);
  });
});

describe('the API client with a guest that stays up', { timeout: 60_000 }, () => {
  const rig = fakeWithClient(['--', '--fake-mode', 'hold'], async (api, fake) => {
    await api.putBootSource({ kernel_image_path: fake.images.kernel, boot_args: 'console=ttyS0 reboot=k panic=1 pci=off' });
    await api.putDrive({ drive_id: 'rootfs', path_on_host: fake.images.rootfs, is_root_device: true, is_read_only: false });
    await api.action('InstanceStart');
  });

  it('reports Running and refuses every pre-boot-only call after the start', async () => {
    expect((await rig.api.describeInstance()).state).toBe('Running');
    const after = 'The requested operation is not supported after starting the microVM.';
    for (const call of [
      rig.api.action('InstanceStart'),
      rig.api.putBootSource({ kernel_image_path: rig.fake.images.kernel }),
      rig.api.putMachineConfig({ vcpu_count: 1, mem_size_mib: 128 }),
      rig.api.putDrive({ drive_id: 'rootfs', path_on_host: rig.fake.images.rootfs, is_root_device: true }),
      rig.api.putLogger({ level: 'Info' }),
    ]) {
      expect((await failure(call)).faultMessage).toBe(after);
    }
  });

  it('accepts the post-boot PATCH of an attached drive', async () => {
    expect((await rig.api.raw('PATCH', '/drives/rootfs', JSON.stringify({ drive_id: 'rootfs', path_on_host: rig.fake.images.rootfs }))).status).toBe(204);
  });

  it('accepts FlushMetrics after boot, and SendCtrlAltDel reboots the guest so firecracker exits 0', async () => {
    await rig.api.action('FlushMetrics');
    await rig.api.action('SendCtrlAltDel');
    expect(await rig.fake.exited).toEqual({ code: 0, signal: null });
    expect(rig.fake.stdout()).toMatch(/reboot: Restarting system/);
  });
});

describe('the API client when Firecracker misbehaves', { timeout: 60_000 }, () => {
  it('turns the /dev/kvm permission fault into an error with the setfacl hint, and the process keeps running', async () => {
    const fake = await startFake(['--', '--fake-mode', 'kvm-denied']);
    const api = createFirecrackerApi({ socketPath: fake.socket });
    try {
      await api.putBootSource({ kernel_image_path: fake.images.kernel });
      const error = await failure(api.action('InstanceStart'));
      expect(error.faultMessage).toBe(KVM_DENIED_FAULT);
      expect(error.faultMessage).toContain('Error creating KVM object');
      expect(error.hint).toMatch(/setfacl/);
      expect((await api.describeInstance()).state).toBe('Not started');
    } finally {
      await api.close();
      await fake.stop();
    }
  });

  it('gives up on an API that accepts but never answers, with FC_API_TIMEOUT', async () => {
    const fake = await startFake(['--', '--fake-mode', 'api-hang']);
    const api = createFirecrackerApi({ socketPath: fake.socket, timeoutMs: 300 });
    try {
      const error = await failure(api.describeInstance());
      expect(error).toMatchObject({ code: 'FC_API_TIMEOUT', route: 'GET /', status: null });
    } finally {
      await api.close();
      await fake.stop();
    }
  });

  it('reports a socket nobody listens on as FC_API_UNREACHABLE with the errno', async () => {
    const api = createFirecrackerApi({ socketPath: '/nonexistent/firecracker.sock', timeoutMs: 1000 });
    try {
      const error = await failure(api.getVersion());
      expect(error).toMatchObject({ code: 'FC_API_UNREACHABLE', route: 'GET /version', status: null, reason: 'ENOENT' });
    } finally {
      await api.close();
    }
  });
});
