#!/usr/bin/env bash
# Checks that this machine can serve as an OctoLab microVM CI runner, before anything is installed:
# /dev/kvm usable, virtualisation visible, the system tools the host suites call, Node 20.
# Prints one line per check; exits 1 when something required is missing, 0 otherwise (warnings allowed).
# The doctor (octolab-verify doctor) then probes KVM itself with KVM_GET_API_VERSION / KVM_CREATE_VM.
set -uo pipefail

failures=0
warnings=0
ok()   { printf '[ ok ] %s\n' "$*"; }
warn() { printf '[warn] %s\n' "$*"; warnings=$((warnings + 1)); }
fail() { printf '[FAIL] %s\n' "$*"; failures=$((failures + 1)); }

# 1. /dev/kvm: a character device this job (or root through sudo) can open read-write.
if [ -c /dev/kvm ]; then
  if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    ok "/dev/kvm is a character device, readable and writable by $(id -un)"
  elif [ "$(id -u)" -ne 0 ] && sudo -n true 2>/dev/null; then
    ok "/dev/kvm is a character device (the suites reach it through sudo)"
  else
    fail "/dev/kvm exists but $(id -un) cannot open it read-write: add the runner user to the kvm group (usermod -aG kvm USER) or run the job as root"
  fi
else
  fail "/dev/kvm is missing: enable nested virtualisation for this VM (see ci/runner/README.md) or use a bare-metal runner"
fi

# 2. Virtualisation as the CPU shows it. Some nested setups expose KVM without the flags; the doctor decides.
if grep -qE '^flags\s*:.*\b(vmx|svm)\b' /proc/cpuinfo 2>/dev/null; then
  ok "the CPU advertises $(grep -oE '\b(vmx|svm)\b' /proc/cpuinfo | head -n1)"
else
  warn "the CPU flags show neither vmx nor svm (usual inside a nested guest); the doctor's KVM probes decide"
fi
for param in /sys/module/kvm_intel/parameters/nested /sys/module/kvm_amd/parameters/nested; do
  if [ -r "$param" ]; then
    value=$(cat "$param")
    case "$value" in
      Y|y|1) ok "nested virtualisation is on in this kernel's KVM ($param=$value)" ;;
      *) warn "$param=$value: guests of this machine cannot use KVM themselves (only matters if the suites run in a VM on it)" ;;
    esac
  fi
done

# 3. The tools the host suites and setup call, and the unit suites' promtool and headless Chromium
#    (with OCTOLAB_VERIFY_REQUIRE=all a missing one fails the run). Debian package after the colon.
missing_packages=()
for pair in ip:iproute2 mkfs.ext4:e2fsprogs debugfs:e2fsprogs busybox:busybox-static useradd:passwd groupadd:passwd \
            runuser:util-linux unshare:util-linux setpriv:util-linux ps:procps systemd-analyze:systemd \
            promtool:prometheus chromium:chromium; do
  tool=${pair%%:*}
  package=${pair#*:}
  if PATH="$PATH:/usr/sbin:/sbin" command -v "$tool" >/dev/null 2>&1; then
    ok "$tool found"
  else
    fail "$tool not found (package $package)"
    missing_packages+=("$package")
  fi
done
if PATH="$PATH:/usr/sbin:/sbin" command -v busybox >/dev/null 2>&1; then
  busybox_path=$(PATH="$PATH:/usr/sbin:/sbin" command -v busybox)
  # ldd (libc-bin) says "not a dynamic executable" for a static binary.
  linkage=$(LC_ALL=C ldd "$busybox_path" 2>&1 || true)
  if printf '%s' "$linkage" | grep -qE 'not a dynamic executable|statically linked'; then
    ok "busybox at $busybox_path looks statically linked"
  else
    fail "busybox at $busybox_path is not a static ELF: install busybox-static (the hello rootfs has no libraries)"
  fi
fi
if [ "${#missing_packages[@]}" -gt 0 ]; then
  printf '       install them with: apt-get install -y %s\n' "$(printf '%s\n' "${missing_packages[@]}" | sort -u | tr '\n' ' ')"
fi

# 4. Node 20 or newer (the project pins the last majors that support it).
if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -ge 20 ]; then ok "node $(node --version)"; else fail "node $(node --version) is older than 20"; fi
else
  warn "node not on PATH yet (the workflow's setup-node step installs it)"
fi

printf '%s failure(s), %s warning(s)\n' "$failures" "$warnings"
[ "$failures" -eq 0 ]
