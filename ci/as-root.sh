#!/usr/bin/env bash
# Runs a command as root: directly when the CI job already is root, else through sudo with the
# job's PATH kept (pnpm and node often live outside sudo's secure_path on self-hosted runners).
set -euo pipefail
if [ "$(id -u)" -eq 0 ]; then
  exec "$@"
fi
exec sudo --preserve-env=CI,NO_COLOR,OCTOLAB_VERIFY_REQUIRE,OCTOLAB_ENV_FILE,OCTOLAB_SETUP_MIRROR,OCTOLAB_SETUP_KERNEL_URL,OCTOLAB_SETUP_KERNEL_SHA256 env "PATH=$PATH" "$@"
