import { existsSync } from 'node:fs';
import type { TestContext } from 'vitest';
import { decideGate, parseRequired, type Capability } from './capabilities.ts';

/**
 * Gates one test on a capability: runs it when `missing` is null, otherwise skips it with the
 * reason, or fails it when OCTOLAB_VERIFY_REQUIRE lists the capability.
 */
export function gate(ctx: TestContext, capability: Capability, missing: string | null): void {
  const decision = decideGate(capability, missing, parseRequired(process.env.OCTOLAB_VERIFY_REQUIRE));
  if (decision.action === 'fail') throw new Error(decision.reason);
  if (decision.action === 'skip') ctx.skip(decision.reason);
}

/** Skips (or fails, when required) unless this process is root. */
export function requireRoot(ctx: TestContext): void {
  const uid = process.geteuid?.() ?? -1;
  gate(ctx, 'root', uid === 0 ? null : `running as uid ${uid}`);
}

/** Skips (or fails) unless `tool` is on PATH; returns nothing, the test goes on when present. */
export function requireTools(ctx: TestContext, capability: Capability, tools: readonly string[]): void {
  const path = (process.env.PATH ?? '').split(':');
  const absent = tools.filter((tool) => !path.some((dir) => dir && existsSync(`${dir}/${tool}`)));
  gate(ctx, capability, absent.length === 0 ? null : `not on PATH: ${absent.join(', ')}`);
}
