import type { Check } from '../check.ts';
import { hintContextOf, hints } from '../hints.ts';
import { failed, passed } from '../verdict.ts';
import { locateBinary } from './locate-binary.ts';
import { describeConstraint, parseVersionLine, probeVersion, satisfiesVersion } from './version-probe.ts';

/**
 * `firecracker`: the binary is found and executable, `--version` answers within 3 s, and the
 * version on its first line meets config.firecrackerVersion. Details keep the version line.
 */
export const firecrackerCheck: Check = {
  id: 'firecracker',
  title: 'Firecracker binary and version',
  async run(ctx) {
    const h = hintContextOf(ctx);
    const expected = describeConstraint(ctx.config.firecrackerVersion);
    const pinned = ctx.config.firecrackerVersion.version.join('.');
    const found = await locateBinary(ctx, ctx.config.firecrackerBin, 'firecracker');
    if (!found.ok) {
      const hint = found.reason === 'not-executable' ? hints.notExecutable(h, found.file) : hints.firecrackerNotFound(h, pinned);
      return failed('fatal', found.details, hint, { firecracker_version: `absent (${found.details})` });
    }
    const version = await probeVersion(ctx.host.proc, found.file);
    const facts = { firecracker_path: found.file };
    if (!version.ok) {
      const unusable = { ...facts, firecracker_version: `unusable (--version ${version.text})` };
      if (version.problem === 'spawn' && /EACCES|EPERM/.test(version.text)) {
        return failed('fatal', `firecracker binary not executable: ${found.file} (${version.text})`, hints.notExecutable(h, found.file), unusable);
      }
      const how = version.problem === 'exit' ? ` (${version.text})` : `: ${version.text}`;
      return failed('fatal', `firecracker --version failed${how}`, hints.firecrackerBroken(h, found.file, pinned), unusable);
    }
    const line = version.firstLine;
    const parsed = parseVersionLine(line, 'Firecracker');
    if (!parsed) {
      return failed('fatal', `firecracker --version printed an unexpected first line: "${line}" (expected "Firecracker v${pinned}")`, hints.firecrackerBroken(h, found.file, pinned), {
        ...facts,
        firecracker_version: `unrecognised (${line})`,
      });
    }
    const withVersion = { ...facts, firecracker_version: line };
    if (!satisfiesVersion(parsed, ctx.config.firecrackerVersion)) {
      return failed('fatal', `firecracker: ${line} at ${found.file}, expected ${expected}`, hints.firecrackerVersion(h, pinned), withVersion);
    }
    return passed(`firecracker: ${line} (${found.file})`, withVersion);
  },
};
