#!/usr/bin/env node
// foreground-probe's executable (suites/unit/host/foreground-probe.ts, see there), started from
// its build, dist/foreground-probe.js, rebuilt first if a source changed.
import { loadBuilt } from '../../../scripts/built.cjs';

await loadBuilt('foreground-probe', { program: 'foreground-probe' });
