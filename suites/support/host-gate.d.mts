export { hostGateMessage } from '../../lib/cli/root-gate.mjs';
