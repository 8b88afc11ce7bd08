/**
 * Where this checkout is: its root (vitest runs there, reports/ defaults there) and its launcher,
 * which hints name when octolab-verify is not on PATH and which setup links onto PATH.
 */
import { fileURLToPath } from 'node:url';

/** This project's directory (with a trailing slash removed). */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

/** The CLI's launcher in this checkout (bin/octolab-verify.cjs). */
export const LAUNCHER_PATH = `${PACKAGE_ROOT}/bin/octolab-verify.cjs`;

/** The script that starts microvm-netd without systemd (bin/run-netd.sh). */
export const RUN_NETD_PATH = `${PACKAGE_ROOT}/bin/run-netd.sh`;
