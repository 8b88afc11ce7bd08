import net from 'node:net';

/** One request a client sent, kept open until the test answers it. */
export interface HeldRequest {
  op: string;
  labId: string;
  /** Sends `reply` as the answer and closes the connection. */
  answer(reply: Record<string, unknown>): void;
  /**
   * Answers like `answer` and says whether the client was still there: 'peer-gone' when it had
   * closed the connection (it gave up on the call; a unix socket reports EPIPE at once).
   */
  tryAnswer(reply: Record<string, unknown>): Promise<'delivered' | 'peer-gone'>;
}

/**
 * A microvm-netd stand-in on a real unix socket that answers nothing by itself: each request
 * (one JSON object per connection, ended by the client's half-close) is queued until the test
 * answers it. It lets a test hold a command inside a netd call, and so inside a teardown step,
 * for exactly as long as it wants, without a clock.
 */
export class HeldNetd {
  private readonly server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
  private readonly sockets = new Set<net.Socket>();
  private readonly queue: HeldRequest[] = [];
  private readonly waiters: Array<(request: HeldRequest) => void> = [];

  private constructor(readonly socketPath: string) {}

  /** Starts listening on `socketPath`. */
  static async listen(socketPath: string): Promise<HeldNetd> {
    const netd = new HeldNetd(socketPath);
    await new Promise<void>((resolve, reject) => {
      netd.server.once('error', reject);
      netd.server.listen(socketPath, () => resolve());
    });
    return netd;
  }

  /** Resolves with the next request; rejects naming it when its op is not `op`. */
  async next(op: string): Promise<HeldRequest> {
    const request = this.queue.shift() ?? (await new Promise<HeldRequest>((resolve) => this.waiters.push(resolve)));
    if (request.op !== op) throw new Error(`HeldNetd: expected a ${op} request, got ${request.op}`);
    return request;
  }

  /** Cuts every connection still open and stops listening. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    // A client that gave up makes our answer fail with EPIPE: tryAnswer reports it; it is not an error here.
    let peerGone = false;
    socket.on('error', () => (peerGone = true));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.once('end', () => {
      const body = JSON.parse(text) as { op?: unknown; lab_id?: unknown };
      const request: HeldRequest = {
        op: String(body.op),
        labId: String(body.lab_id),
        answer: (reply) => void socket.end(JSON.stringify(reply)),
        tryAnswer: (reply) =>
          new Promise((resolve) => {
            socket.once('close', () => resolve(peerGone ? 'peer-gone' : 'delivered'));
            socket.end(JSON.stringify(reply));
          }),
      };
      const waiter = this.waiters.shift();
      if (waiter) waiter(request);
      else this.queue.push(request);
    });
  }
}
