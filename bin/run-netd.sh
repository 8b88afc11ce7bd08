#!/usr/bin/env bash
# Starts microvm-netd (octolab-verify netd serve) on hosts without systemd, e.g. WSL.
#
#   sudo bin/run-netd.sh [--daemon] [--socket PATH] [--group NAME] [--tap-owner UID] [--log FILE]
#                        [--pool CIDR] [--prefix-len N] [--dns IP]
#   sudo bin/run-netd.sh --stop [--socket PATH]
#
# Foreground (default): replaces this shell with the daemon; Ctrl-C or SIGTERM stops it cleanly.
# --daemon: runs it in the background with its output appended to --log, waits until the socket
# answers ping (up to 15 s) and exits 0; on failure it stops the process, prints the log tail and
# exits 1. The daemon writes its own pidfile (next to the socket); this script never does.
# --stop: sends SIGTERM to the pid in that pidfile (only if it is a netd serve process) and waits.
# The group is not created here (setup does that): groupadd --system octolab.
# --pool/--prefix-len/--dns go to netd serve as they are (it checks them; see docs/netd-daemon.md).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cli=(node "$root/bin/octolab-verify.cjs")
socket="${OCTOLAB_MICROVM_NETD_SOCK:-/run/octolab/microvm-netd.sock}"
group="${OCTOLAB_NETD_GROUP:-octolab}"
log="/var/log/octolab/microvm-netd.log"
mode=foreground
serve_args=()

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "run-netd: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    -d|--daemon) mode=daemon ;;
    --stop) mode=stop ;;
    --socket) [ $# -ge 2 ] || die "--socket needs a path"; socket="$2"; shift ;;
    --group) [ $# -ge 2 ] || die "--group needs a name"; group="$2"; shift ;;
    --tap-owner) [ $# -ge 2 ] || die "--tap-owner needs a uid"; serve_args+=(--tap-owner "$2"); shift ;;
    --pool|--prefix-len|--dns) [ $# -ge 2 ] || die "$1 needs a value"; serve_args+=("$1" "$2"); shift ;;
    --log) [ $# -ge 2 ] || die "--log needs a file"; log="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift
done

[ "$(id -u)" -eq 0 ] || die "must run as root (microvm-netd needs CAP_NET_ADMIN): sudo env \"PATH=\$PATH\" $0 $*"
command -v node >/dev/null || die "node is not on PATH (under sudo: sudo env \"PATH=\$PATH\" $0)"
command -v ip >/dev/null || die "ip (iproute2) is not installed"
pidfile="$(dirname "$socket")/microvm-netd.pid"

if [ "$mode" = stop ]; then
  [ -f "$pidfile" ] || { echo "run-netd: no pidfile at $pidfile; nothing to stop"; exit 0; }
  pid="$(tr -dc '0-9' < "$pidfile")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || { echo "run-netd: pid ${pid:-?} is not running"; exit 0; }
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q 'netd serve' || die "pid $pid is not microvm-netd; not killing it"
  kill -TERM "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || { echo "run-netd: stopped (pid $pid)"; exit 0; }; sleep 0.2; done
  die "pid $pid did not stop within 10 s"
fi

getent group "$group" >/dev/null || die "group $group does not exist: create it first (groupadd --system $group; usermod -aG $group <user>)"
if "${cli[@]}" netd ping --socket "$socket" --timeout 2 >/dev/null 2>&1; then
  echo "run-netd: microvm-netd already answers on $socket"
  exit 0
fi

serve=("${cli[@]}" netd serve --socket "$socket" --group "$group" "${serve_args[@]}")
if [ "$mode" = foreground ]; then
  exec "${serve[@]}"
fi

mkdir -p "$(dirname "$log")"
nohup "${serve[@]}" >>"$log" 2>&1 </dev/null &
child=$!
for _ in $(seq 1 75); do
  if ! kill -0 "$child" 2>/dev/null; then break; fi
  if "${cli[@]}" netd ping --socket "$socket" --timeout 1 >/dev/null 2>&1; then
    echo "run-netd: microvm-netd running (pid $child), socket $socket, log $log"
    exit 0
  fi
  sleep 0.2
done
kill -TERM "$child" 2>/dev/null || true
echo "run-netd: microvm-netd did not come up; last lines of $log:" >&2
tail -n 15 "$log" >&2 || true
exit 1
