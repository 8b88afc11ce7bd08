import { errnoOf } from '../errors.ts';
import { openApiConnection } from '../host/vmm/api-connection.ts';
import { hintForFault } from './api-hints.ts';
import type { ActionType, BootSource, Drive, InstanceInfo, LoggerConfig, MachineConfiguration, NetworkInterface } from './api-types.ts';
import { FirecrackerApiError } from './errors.ts';
import { resourceIdProblem } from './resource-ids.ts';

/** How to reach one Firecracker's API. */
export interface FirecrackerApiOptions {
  socketPath: string;
  /** Per-call limit unless a call passes its own signal; default 5000 ms. */
  timeoutMs?: number;
}

/** Per-call options: an AbortSignal (the boot step's) ends the call early. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** A raw answer: status, headers and the body text (always read to the end). */
export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Typed calls over the API socket; every non-2xx answer throws a FirecrackerApiError. */
export interface FirecrackerApi {
  describeInstance(options?: CallOptions): Promise<InstanceInfo>;
  getVersion(options?: CallOptions): Promise<string>;
  getMachineConfig(options?: CallOptions): Promise<MachineConfiguration>;
  putMachineConfig(config: MachineConfiguration, options?: CallOptions): Promise<void>;
  putBootSource(source: BootSource, options?: CallOptions): Promise<void>;
  putDrive(drive: Drive, options?: CallOptions): Promise<void>;
  putNetworkInterface(iface: NetworkInterface, options?: CallOptions): Promise<void>;
  putLogger(logger: LoggerConfig, options?: CallOptions): Promise<void>;
  action(type: ActionType, options?: CallOptions): Promise<void>;
  /** Any method and path; resolves with the answer whatever its status. For tests and diagnostics. */
  raw(method: string, path: string, body?: string, options?: CallOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** Extracts the fault text from an error body: `{"fault_message":…}` or micro_http's `{ "error": "…" }`. */
export function faultOf(text: string): string | null {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && 'fault_message' in body) return String(body.fault_message);
  } catch {
    // micro_http's own errors are not valid JSON (a raw newline inside the string).
  }
  const match = /"error":\s*"([\s\S]*?)"\s*}\s*$/.exec(text);
  return match ? match[1]! : null;
}

/**
 * Creates an API client on the unix socket: one kept-alive HTTP/1.1 connection, one request at a
 * time, bodies always with Content-Length (lib/host/vmm/api-connection.ts; node:http's client ran
 * cold in every boot, undici's took ~0.1 s to load). The connection opens on the first request.
 */
export function createFirecrackerApi(options: FirecrackerApiOptions): FirecrackerApi {
  const connection = openApiConnection(options.socketPath);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function raw(method: string, path: string, body?: string, call: CallOptions = {}): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(payload.length) });
    // Never chunked (Firecracker reads bodies by Content-Length only): a PUT or PATCH without a body says so.
    else if (method !== 'GET' && method !== 'HEAD') headers['content-length'] = '0';
    const signal = call.signal ? AbortSignal.any([call.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    const route = `${method} ${path}`;
    try {
      return await connection.request(method, path, headers, payload, signal);
    } catch (error) {
      throw unreachable(route, options.socketPath, error, signal);
    }
  }

  async function call(method: string, path: string, body?: unknown, opts?: CallOptions): Promise<string> {
    const route = `${method} ${path}`;
    const response = await raw(method, path, body === undefined ? undefined : JSON.stringify(body), opts);
    if (response.status >= 200 && response.status < 300) return response.text;
    const fault = faultOf(response.text);
    throw new FirecrackerApiError(
      {
        code: 'FC_API_ERROR',
        summary: `${route} answered ${response.status}${fault ? `: ${fault}` : ''}`,
        attempted: `${route} on ${options.socketPath}`,
        reason: `HTTP ${response.status}${fault ? `, fault_message: ${fault}` : ''}`,
        output: fault ? undefined : response.text.slice(0, 500),
        hint: (fault && hintForFault(fault)) ?? undefined,
      },
      { route, status: response.status, faultMessage: fault },
    );
  }

  const json = async <T>(path: string, opts?: CallOptions): Promise<T> => JSON.parse(await call('GET', path, undefined, opts)) as T;
  const checkedId = (kind: string, id: string, path: string) => {
    const problem = resourceIdProblem(id);
    if (!problem) return `${path}/${encodeURIComponent(id)}`;
    throw new FirecrackerApiError(
      { code: 'FC_INVALID_ID', summary: `invalid ${kind} id ${JSON.stringify(id)}: ${problem}`, hint: 'Use letters, digits and underscores only.' },
      { route: `PUT ${path}/${id}`, status: null, faultMessage: null },
    );
  };

  return {
    describeInstance: (o) => json<InstanceInfo>('/', o),
    getVersion: async (o) => (await json<{ firecracker_version: string }>('/version', o)).firecracker_version,
    getMachineConfig: (o) => json<MachineConfiguration>('/machine-config', o),
    putMachineConfig: async (config, o) => void (await call('PUT', '/machine-config', config, o)),
    putBootSource: async (source, o) => void (await call('PUT', '/boot-source', source, o)),
    putDrive: async (drive, o) => void (await call('PUT', checkedId('drive', drive.drive_id, '/drives'), drive, o)),
    putNetworkInterface: async (iface, o) => void (await call('PUT', checkedId('network interface', iface.iface_id, '/network-interfaces'), iface, o)),
    putLogger: async (logger, o) => void (await call('PUT', '/logger', logger, o)),
    action: async (type, o) => void (await call('PUT', '/actions', { action_type: type }, o)),
    raw,
    close: async () => {
      connection.close();
    },
  };
}

function unreachable(route: string, socketPath: string, error: unknown, signal: AbortSignal): FirecrackerApiError {
  const errno = errnoOf(error) ?? errnoOf((error as Error | undefined)?.cause);
  const timedOut = signal.aborted;
  const why = timedOut ? 'no answer before the deadline' : (errno ?? (error as Error).message);
  return new FirecrackerApiError(
    {
      code: timedOut ? 'FC_API_TIMEOUT' : 'FC_API_UNREACHABLE',
      summary: `${route}: ${why}`,
      attempted: `${route} on ${socketPath}`,
      reason: timedOut ? String(signal.reason?.message ?? signal.reason) : why,
      hint: timedOut
        ? 'Firecracker accepted the connection but did not answer; its log (firecracker.log) and serial output say why.'
        : 'Is firecracker running with --api-sock at this path? A stale socket file from an earlier run also refuses connections.',
      cause: error,
    },
    { route, status: null, faultMessage: null },
  );
}
