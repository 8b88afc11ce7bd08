#!/usr/bin/env node
// tap-holder's executable (suites/host/netd/tap-holder.ts, see there), started from its build,
// dist/tap-holder.js, rebuilt first if a source changed.
import { loadBuilt } from '../../../scripts/built.cjs';

await loadBuilt('tap-holder', { program: 'tap-holder' });
