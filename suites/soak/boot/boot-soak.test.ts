import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootMicroVm } from '../../../lib/firecracker/boot-pipeline.ts';
import { createBootSandbox, fakeInputs, residueOf, type BootSandbox } from '../../unit/boot/boot-harness.ts';

let sandbox: BootSandbox;
beforeAll(async () => {
  sandbox = await createBootSandbox();
});
afterAll(async () => {
  await sandbox?.cleanup();
});

describe('boots in a row', () => {
  it('boots 50 times in a row against the fake, each passing and leaving zero residue', { tags: ['soak', 'slow', 'boot'], timeout: 300_000 }, async () => {
    const modes = ['', 'crlf', 'split-output'];
    for (let i = 0; i < 50; i++) {
      const mode = modes[i % modes.length]!;
      const result = await bootMicroVm({ inputs: fakeInputs(sandbox, mode ? ['--fake-mode', mode] : []), budgetMs: 30_000 });
      expect({ boot: i, ok: result.ok, error: result.error?.message ?? null }).toEqual({ boot: i, ok: true, error: null });
      expect({ boot: i, residue: await residueOf(sandbox.stateDir, result.labId) }).toEqual({ boot: i, residue: [] });
    }
  });
});
