import { hostGateMessage } from './host-gate.mjs';
import { parseRequired } from './capabilities.ts';

/** The host project's global setup: refuse non-root at once, and reject a malformed require switch. */
export default function setup(): void {
  const message = hostGateMessage(process.geteuid?.() ?? -1);
  if (message) throw new Error(message);
  parseRequired(process.env.OCTOLAB_VERIFY_REQUIRE);
}
