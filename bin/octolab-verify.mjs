#!/usr/bin/env -S node --
// The launcher's former name, kept for what earlier setups made: an octolab-verify link on PATH
// and a microvm-netd unit whose ExecStart runs that link. It runs bin/octolab-verify.cjs, the
// launcher (CommonJS since it starts faster without Node's ES module loader); `sudo octolab-verify
// setup` points the link at the new name. Use bin/octolab-verify.cjs.
import './octolab-verify.cjs';
