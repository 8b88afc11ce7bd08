import { HostError } from '../../errors.ts';
import type { FileInfo } from '../../host/types.ts';
import type { Check, CheckContext, CheckResult } from '../check.ts';
import { hintContextOf, hints, type HintContext } from '../hints.ts';
import { failed, passed } from '../verdict.ts';
import { accessProblem, describeKind, mustComputeAccess } from './access.ts';

/** KVM_GET_API_VERSION must answer this; anything else is a kernel Firecracker cannot use. */
export const KVM_API_VERSION = 12;

/**
 * `kvm`: the device exists, is a character device, the runtime user may open it read-write,
 * KVM_GET_API_VERSION is 12 and KVM_CREATE_VM succeeds (EBUSY: another hypervisor holds KVM).
 */
export const kvmCheck: Check = {
  id: 'kvm',
  title: 'KVM device usable',
  async run(ctx) {
    const device = ctx.config.kvmDevice;
    const h = hintContextOf(ctx);
    let info: FileInfo;
    try {
      info = await ctx.host.fs.stat(device);
    } catch (error) {
      const errno = error instanceof HostError ? error.errno : undefined;
      if (errno === 'ENOENT' || errno === 'ENOTDIR') return failed('fatal', `${device} not found`, hints.kvmMissing(h));
      return failed('fatal', `${device} error: cannot stat (${errno ?? 'unknown error'})`, hints.kvmOpenFailed(h, device, errno ?? 'an error'));
    }
    if (info.kind !== 'char-device') {
      return failed('fatal', `${device} is not a character device (found ${describeKind(info.kind)})`, hints.kvmNotCharDevice(h, device));
    }
    if (mustComputeAccess(ctx.host, ctx.identity)) {
      const problem = await accessProblem(ctx.host, info, ctx.identity, 'rw');
      if (problem) return failed('fatal', `${device} exists but not writable: ${problem}`, await noAccessHint(ctx, h, info));
    }
    return probe(ctx, h, info);
  },
};

async function probe(ctx: CheckContext, h: HintContext, info: FileInfo): Promise<CheckResult> {
  const device = info.path;
  let answer;
  try {
    answer = await ctx.host.kvm.probe(device);
  } catch (error) {
    const errno = error instanceof HostError ? error.errno : undefined;
    if (errno === 'EACCES' || errno === 'EPERM') {
      return failed('fatal', `${device} exists but not writable: open read-write failed with ${errno} for ${ctx.identity.name}`, await noAccessHint(ctx, h, info));
    }
    return failed('fatal', `${device} error: open read-write failed (${errno ?? (error as Error).message})`, hints.kvmOpenFailed(h, device, errno ?? 'an error'));
  }
  if (!answer.apiVersion.ok) {
    return failed('fatal', `${device} open but ioctl failed: KVM_GET_API_VERSION ${answer.apiVersion.errno}`, hints.kvmApi(h));
  }
  const version = answer.apiVersion.version;
  if (version !== KVM_API_VERSION) {
    const word = version < KVM_API_VERSION ? 'too old' : 'unexpected';
    return failed('fatal', `KVM API version ${word}: ${device} answers ${version}, expected ${KVM_API_VERSION}`, hints.kvmApi(h), { kvm_api_version: String(version) });
  }
  const facts = { kvm_api_version: String(version) };
  if (!answer.createVm.ok) {
    const errno = answer.createVm.errno ?? 'not attempted';
    if (errno === 'EBUSY') {
      return failed('fatal', `${device} open but KVM_CREATE_VM failed: EBUSY (another hypervisor holds KVM)`, hints.kvmBusy(h), { ...facts, kvm_create_vm: errno });
    }
    return failed('fatal', `${device} open but KVM_CREATE_VM failed: ${errno}`, hints.kvmCreateVm(h, errno), { ...facts, kvm_create_vm: errno });
  }
  return passed(`${device} accessible, API version ${version}, KVM_CREATE_VM ok`, { ...facts, kvm_create_vm: 'ok' });
}

/** The device's group is worth joining only when its group bits grant read and write. */
async function noAccessHint(ctx: CheckContext, h: HintContext, info: FileInfo): Promise<string> {
  const groupGrants = (info.mode & 0o060) === 0o060 && info.gid !== 0;
  const group = groupGrants ? ((await ctx.host.users.groupById(info.gid))?.name ?? String(info.gid)) : null;
  return hints.kvmNoAccess(h, info.path, group);
}
