import type { Duplex } from 'node:stream';
import { serveConnection, type ConnectionHandle, type ConnectionOptions, type PeerIdentity } from './connection.ts';
import { errorReply, MAX_CONNECTIONS, MAX_PEER_CONNECTIONS } from './protocol.ts';

/** How long a refused connection may stay open for its client to read the answer and close. */
const REFUSED_LINGER_MS = 1000;

/** Admits connections up to a limit and serves each; the daemon and the in-process fake share it. */
export interface ConnectionGate {
  /**
   * Serves `stream`, or answers TOO_MANY_CONNECTIONS and closes it when the limit, or the peer's
   * share of it, is reached (null then). Connections of unknown peers (null) share one share.
   */
  accept(stream: Duplex, peer?: PeerIdentity | null): ConnectionHandle | null;
  /** The connections open now (reading or being handled). */
  readonly open: ReadonlySet<ConnectionHandle>;
}

/** A gate's limits: connections at once, and at once per peer uid. */
export interface GateLimits {
  maxConnections?: number;
  maxPeerConnections?: number;
}

/**
 * Returns a gate for `maxConnections` (default MAX_CONNECTIONS) connections at once, at most
 * `maxPeerConnections` (default MAX_PEER_CONNECTIONS) of them from one uid; one more is answered
 * without reading a byte. So a client that opens many cannot make the root daemon hold unbounded
 * descriptors, timers and `ip` processes, and one that holds connections idle cannot keep a
 * client of another uid out (its idle ones end at the request deadline).
 */
export function createConnectionGate(options: ConnectionOptions & GateLimits): ConnectionGate {
  const limit = options.maxConnections ?? MAX_CONNECTIONS;
  const peerLimit = Math.min(options.maxPeerConnections ?? MAX_PEER_CONNECTIONS, limit);
  const open = new Set<ConnectionHandle>();
  const perPeer = new Map<string, number>();

  function refuse(stream: Duplex, message: string, peer: PeerIdentity | null): null {
    // The answer goes out at once. What the client sends is read and dropped, never parsed:
    // closing a socket with unread bytes resets it, and the client would lose the answer.
    // The socket closes when the client does, or after REFUSED_LINGER_MS at the latest.
    stream.on('error', () => undefined);
    stream.resume();
    const linger = setTimeout(() => stream.destroy(), REFUSED_LINGER_MS);
    linger.unref?.();
    stream.on('close', () => clearTimeout(linger));
    stream.end(JSON.stringify(errorReply('TOO_MANY_CONNECTIONS', message)));
    options.log({ op: '-', labId: null, result: 'TOO_MANY_CONNECTIONS', durationMs: 0, ...(peer ? { peer } : {}) });
    return null;
  }

  return {
    open,
    accept(stream, peer = null) {
      const key = peer ? `uid ${peer.uid}` : 'unidentified';
      const held = perPeer.get(key) ?? 0;
      if (open.size >= limit) return refuse(stream, `microvm-netd serves at most ${limit} connections at once; retry shortly`, peer);
      if (held >= peerLimit) {
        const who = peer ? `uid ${peer.uid}` : 'this client';
        return refuse(stream, `microvm-netd serves at most ${peerLimit} connections at once per client, and ${who} has that many open; close idle ones and retry`, peer);
      }
      perPeer.set(key, held + 1);
      const handle = serveConnection(stream, options, peer);
      open.add(handle);
      void handle.done.then(() => {
        open.delete(handle);
        const left = (perPeer.get(key) ?? 1) - 1;
        if (left > 0) perPeer.set(key, left);
        else perPeer.delete(key);
      });
      return handle;
    },
  };
}
