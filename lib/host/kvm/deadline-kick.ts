/**
 * How the probe stops a vCPU that never exits. KVM_RUN blocks the calling thread until the guest
 * exits, and returns EINTR as soon as a signal is pending for that thread. So, before the run loop,
 * a POSIX timer is armed (timer_create with SIGEV_THREAD_ID) to send SIGALRM to this very thread at
 * the deadline and then every KICK_INTERVAL_MS until it is disarmed: a kick that lands between two
 * KVM_RUN calls is followed by another, so no race can leave the thread inside KVM_RUN for good.
 * While armed, a no-op `process.on('SIGALRM')` listener keeps the signal from killing the process
 * (libuv's handler runs; KVM_RUN's EINTR is not restarted). The timer is per thread and per probe,
 * so concurrent probes in other processes and real VMs are unaffected.
 */
import { isMainThread } from 'node:worker_threads';
import { constants } from 'node:os';
import koffi from 'koffi';
import { HostError } from '../../errors.ts';
import { errnoName } from '../libc.ts';

/** Arms and disarms the signal that kicks the calling thread out of KVM_RUN. */
export interface DeadlineKick {
  /** After `delayMs`, then every KICK_INTERVAL_MS, a signal makes this thread's KVM_RUN return EINTR. */
  arm(delayMs: number): void;
  /** Stops the signals; safe to call when not armed, and twice. */
  disarm(): void;
}

/** Repeat period of the kick after the deadline. */
export const KICK_INTERVAL_MS = 5;
const CLOCK_MONOTONIC = 1;
const SIGEV_THREAD_ID = 4;
const SIGEVENT_SIZE = 64;
const SIGNAL = 'SIGALRM';

interface TimerBindings {
  timerCreate(clock: number, sigevent: Buffer, timerId: Buffer): number;
  timerSettime(timer: bigint, flags: number, spec: Buffer, old: null): number;
  timerDelete(timer: bigint): number;
  gettid(): number;
}

let bindings: TimerBindings | undefined;

function loadTimerBindings(): TimerBindings {
  if (bindings) return bindings;
  const lib = koffi.load('libc.so.6');
  bindings = {
    timerCreate: lib.func('int timer_create(int clockid, void *sevp, void *timerid)'),
    timerSettime: lib.func('int timer_settime(uintptr_t timerid, int flags, void *new_value, void *old_value)'),
    timerDelete: lib.func('int timer_delete(uintptr_t timerid)'),
    gettid: lib.func('int gettid(void)'),
  };
  return bindings;
}

/** Returns struct sigevent (x86_64 glibc, 64 bytes): SIGEV_THREAD_ID delivery of `signal` to thread `tid`. */
export function encodeThreadSigevent(signal: number, tid: number): Buffer {
  const buf = Buffer.alloc(SIGEVENT_SIZE);
  buf.writeInt32LE(signal, 8); // sigev_signo (after the 8-byte sigev_value)
  buf.writeInt32LE(SIGEV_THREAD_ID, 12); // sigev_notify
  buf.writeInt32LE(tid, 16); // _sigev_un._tid
  return buf;
}

/** Returns struct itimerspec: it_interval then it_value, each { tv_sec, tv_nsec } as i64. */
export function encodeItimerspec(valueMs: number, intervalMs: number): Buffer {
  const buf = Buffer.alloc(32);
  const put = (ms: number, at: number) => {
    const whole = Math.max(0, Math.ceil(ms * 1e6)); // nanoseconds, rounded up so 0 < ms never disarms
    buf.writeBigInt64LE(BigInt(Math.floor(whole / 1e9)), at);
    buf.writeBigInt64LE(BigInt(whole % 1e9), at + 8);
  };
  put(intervalMs, 0);
  put(valueMs, 16);
  return buf;
}

function timerError(call: string): HostError {
  const errno = errnoName(koffi.errno());
  return new HostError({
    code: 'HOST_PROBE_FAILED',
    summary: `${call} failed: ${errno}`,
    attempted: `arm the guest probe's deadline timer (${call}, ${SIGNAL} to this thread)`,
    reason: errno,
  });
}

const ignoreKick = () => {};

/** Returns the SIGALRM-timer kick for the calling thread; it refuses worker threads, where Node cannot catch signals. */
export function createSignalKick(): DeadlineKick {
  let timer: bigint | null = null;
  const disarm = () => {
    if (timer === null) return;
    loadTimerBindings().timerDelete(timer);
    timer = null;
    // After timer_delete returns, no kick is left pending for this thread: it was delivered on the
    // way back from the system call, while the listener still stood.
    process.off(SIGNAL, ignoreKick);
  };
  return {
    arm(delayMs) {
      if (timer !== null) throw new Error('deadline kick armed twice');
      if (!isMainThread) {
        throw new HostError({
          code: 'HOST_PROBE_FAILED',
          summary: 'the guest probe cannot bound its run time in a worker thread',
          attempted: 'arm the guest probe deadline',
          reason: `Node does not deliver ${SIGNAL} to listeners in worker threads`,
          hint: 'run the probe on the main thread (the doctor does)',
        });
      }
      const native = loadTimerBindings();
      process.on(SIGNAL, ignoreKick);
      const id = Buffer.alloc(8);
      if (native.timerCreate(CLOCK_MONOTONIC, encodeThreadSigevent(constants.signals[SIGNAL], native.gettid()), id) !== 0) {
        process.off(SIGNAL, ignoreKick);
        throw timerError('timer_create');
      }
      timer = id.readBigUInt64LE();
      if (native.timerSettime(timer, 0, encodeItimerspec(Math.max(delayMs, 0.001), KICK_INTERVAL_MS), null) !== 0) {
        const error = timerError('timer_settime');
        disarm();
        throw error;
      }
    },
    disarm,
  };
}
