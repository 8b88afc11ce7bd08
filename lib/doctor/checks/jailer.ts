import type { Check, CheckContext, CheckResult } from '../check.ts';
import { hintContextOf, hints } from '../hints.ts';
import { failed, passed, passedWithWarning } from '../verdict.ts';
import { locateBinary, type LocatedBinary } from './locate-binary.ts';
import { describeConstraint, parseVersionLine, probeVersion, satisfiesVersion } from './version-probe.ts';

/**
 * `jailer`: present → info with its version (a failing `--version` passes with severity warn, as
 * upstream). Missing → WARN under WSL, WARN with OCTOLAB_DEV_UNSAFE_ALLOW_NO_JAILER, FATAL
 * otherwise (production). WSL takes precedence over the flag, as upstream.
 */
export const jailerCheck: Check = {
  id: 'jailer',
  title: 'Jailer binary',
  async run(ctx) {
    const h = hintContextOf(ctx);
    const pinned = ctx.config.firecrackerVersion.version.join('.');
    const found = await locateBinary(ctx, ctx.config.jailerBin, 'jailer');
    if (!found.ok) return judgeMissing(ctx, found);
    const facts = { jailer_path: found.file };
    const version = await probeVersion(ctx.host.proc, found.file);
    if (!version.ok) {
      return passedWithWarning(`jailer found but --version failed (${version.text})`, hints.jailerBroken(h, found.file, pinned), { ...facts, jailer_version: 'unusable' });
    }
    const line = version.firstLine;
    const parsed = parseVersionLine(line, 'Jailer');
    const withVersion = { ...facts, jailer_version: line };
    if (!parsed) {
      return passedWithWarning(`jailer found but --version printed an unexpected first line: "${line}"`, hints.jailerBroken(h, found.file, pinned), withVersion);
    }
    if (!satisfiesVersion(parsed, ctx.config.firecrackerVersion)) {
      const expected = describeConstraint(ctx.config.firecrackerVersion);
      return passedWithWarning(`jailer: ${line} at ${found.file}, expected ${expected} to match firecracker`, hints.jailerBroken(h, found.file, pinned), withVersion);
    }
    return passed(`jailer: ${line} (${found.file})`, withVersion);
  },
};

function judgeMissing(ctx: CheckContext, found: Extract<LocatedBinary, { ok: false }>): CheckResult {
  const h = hintContextOf(ctx);
  const where = found.reason === 'missing' ? `looked for ${found.file}${found.file.includes('/') ? '' : ' on PATH'}` : found.details;
  const facts = { jailer_version: `absent (${found.reason})` };
  if (ctx.wsl.wsl) return failed('warn', `jailer not found (WSL detected); ${where}`, hints.jailerWsl(), facts);
  if (ctx.config.allowNoJailer) return failed('warn', `jailer not found (OCTOLAB_DEV_UNSAFE_ALLOW_NO_JAILER=true); ${where}`, hints.jailerDevFlag(), facts);
  const pinned = ctx.config.firecrackerVersion.version.join('.');
  return failed('fatal', `jailer binary not found; ${where}`, hints.jailerMissing(h, pinned), facts);
}
