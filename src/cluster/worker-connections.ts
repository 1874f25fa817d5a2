/**
 * A worker's side of the connections (the supervisor's is dispatcher.ts): the HTTP server does not
 * listen itself; it serves the connections the supervisor hands over, says it has each one, and
 * on stopping waits for them to close, as a listening server's close does. The server is told it
 * listens, so that Node tracks its connections: the headers and request timeouts hold, and idle
 * keep-alive connections are closed when it closes.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { HandedConnection, WorkerMessage } from './dispatcher.js';

export interface WorkerConnections {
  /** Tells the supervisor this worker serves. */
  ready(): void;
  /** Tells the supervisor to hand no more connections here. */
  stopping(): void;
  /** Resolves once every connection handed here has closed. */
  drained(): Promise<void>;
}

function isHandedConnection(message: unknown): message is HandedConnection {
  return typeof message === 'object' && message !== null && (message as { apiHub?: unknown }).apiHub === 'connection';
}

export function serveHandedConnections(server: Server): WorkerConnections {
  const send = (message: WorkerMessage) => process.send?.(message);
  const open = new Set<Socket>();
  let onDrained: (() => void) | undefined;
  server.emit('listening');
  process.on('message', (message: unknown, socket: Socket | undefined) => {
    if (!isHandedConnection(message) || socket === undefined) return;
    send({ apiHub: 'taken', id: message.id });
    if (open.size >= server.maxConnections) {
      socket.destroy();
      return;
    }
    open.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      if (open.size === 0) onDrained?.();
    });
    server.emit('connection', socket);
  });
  return {
    ready: () => send({ apiHub: 'ready' }),
    stopping: () => send({ apiHub: 'stopping' }),
    drained: () => (open.size === 0 ? Promise.resolve() : new Promise((resolve) => (onDrained = resolve))),
  };
}
