import { HostError } from '../../errors.ts';
import type { Check } from '../check.ts';
import { hintContextOf, hints } from '../hints.ts';
import { failed, passed } from '../verdict.ts';

/** The device whose presence alone means vsock works. */
export const VSOCK_DEVICE = '/dev/vsock';
const MODULE = 'vhost_vsock';

/** `vsock`: /dev/vsock exists or the vhost_vsock module is loaded (or built in) → info; otherwise WARN. */
export const vsockCheck: Check = {
  id: 'vsock',
  title: 'vsock support',
  async run(ctx) {
    const fs = ctx.host.fs;
    if (await fs.exists(VSOCK_DEVICE)) return passed(`vsock available: ${VSOCK_DEVICE} present`, { vsock: `${VSOCK_DEVICE} present` });
    let modules = '';
    let unreadable = '';
    try {
      modules = await fs.readText('/proc/modules');
    } catch (error) {
      unreadable = `, /proc/modules unreadable (${error instanceof HostError ? (error.errno ?? 'error') : 'error'})`;
    }
    if (modules.split('\n').some((line) => line.split(' ')[0] === MODULE)) {
      return passed(`vsock available: ${MODULE} module loaded`, { vsock: `${MODULE} loaded` });
    }
    if (await fs.exists(`/sys/module/${MODULE}`)) return passed(`vsock available: ${MODULE} built into the kernel`, { vsock: `${MODULE} built in` });
    return failed('warn', `vsock not available: no ${VSOCK_DEVICE}, ${MODULE} not loaded${unreadable}`, hints.vsockMissing(hintContextOf(ctx)), {
      vsock: 'absent',
    });
  },
};
