/**
 * The supervisor's side of the connections: it accepts them on the hub's port, without reading,
 * and hands each to the next ready worker, round-robin, as node:cluster does. Unlike node:cluster,
 * a connection handed to a worker that dies before taking it is closed, so its client sees the
 * connection fail and can send again; node:cluster leaves it open with nobody reading it, and the
 * client waits for its own timeout (docs/adr/0021). The worker's side is worker-connections.ts.
 */
import type { Worker } from 'node:cluster';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** Supervisor → worker: a connection, sent with the message as its handle. */
export interface HandedConnection {
  apiHub: 'connection';
  id: number;
}

/** Worker → supervisor. */
export type WorkerMessage =
  /** The worker serves: connections may be handed to it. */
  | { apiHub: 'ready' }
  /** The worker has the connection: the supervisor closes its own copy. */
  | { apiHub: 'taken'; id: number }
  /** The worker began to stop: no more connections for it. */
  | { apiHub: 'stopping' };

function isWorkerMessage(message: unknown): message is WorkerMessage {
  const kind = typeof message === 'object' && message !== null ? (message as { apiHub?: unknown }).apiHub : undefined;
  return kind === 'ready' || kind === 'taken' || kind === 'stopping';
}

/** Connections waiting for a worker, at most; beyond, new ones are closed at once. */
const MAX_WAITING = 1024;

export class ConnectionDispatcher {
  private readonly server: Server;
  /** Workers connections may go to, in turn order. */
  private readonly ready: Worker[] = [];
  private turn = 0;
  /** Connections sent to each worker and not yet taken, by id. */
  private readonly handed = new Map<Worker, Map<number, Socket>>();
  /** Connections that arrived while no worker was ready. */
  private readonly waiting: Socket[] = [];
  private nextId = 0;

  constructor() {
    // Not read here: the bytes stay in the kernel for the worker. No delay as a hub server has.
    this.server = createServer({ pauseOnConnect: true, noDelay: true }, (socket) => {
      // A paused socket reports little, but an unhandled error would end the supervisor.
      socket.on('error', () => {});
      this.dispatch(socket);
    });
  }

  /** Resolves with the address once listening; rejects when the port cannot be bound. */
  listen(port: number, host: string): Promise<{ port: number; host: string }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host }, () => {
        this.server.off('error', reject);
        // The port bound, which port 0 leaves to the system.
        const bound = this.server.address() as AddressInfo;
        resolve({ port: bound.port, host: bound.address });
      });
    });
  }

  /** Stops accepting; connections not yet taken by a worker are closed. */
  close(): void {
    this.server.close();
    for (const socket of this.waiting.splice(0)) socket.destroy();
  }

  /** Takes a message from `worker`; its kind, or undefined when it is not one of the dispatcher's. */
  receive(worker: Worker, message: unknown): WorkerMessage['apiHub'] | undefined {
    if (!isWorkerMessage(message)) return undefined;
    if (message.apiHub === 'ready') {
      if (!this.ready.includes(worker)) this.ready.push(worker);
      for (const socket of this.waiting.splice(0)) this.dispatch(socket);
    } else if (message.apiHub === 'taken') {
      const sockets = this.handed.get(worker);
      sockets?.get(message.id)?.destroy();
      sockets?.delete(message.id);
    } else {
      this.unready(worker);
    }
    return message.apiHub;
  }

  /** The worker is gone: what was handed to it and not taken is closed. */
  remove(worker: Worker): void {
    this.unready(worker);
    const sockets = this.handed.get(worker);
    for (const socket of sockets?.values() ?? []) socket.destroy();
    sockets?.clear();
    this.handed.delete(worker);
  }

  private unready(worker: Worker): void {
    const index = this.ready.indexOf(worker);
    if (index >= 0) this.ready.splice(index, 1);
  }

  private dispatch(socket: Socket): void {
    if (this.ready.length === 0) {
      if (this.waiting.length >= MAX_WAITING || !this.server.listening) socket.destroy();
      else this.waiting.push(socket);
      return;
    }
    const worker = this.ready[this.turn++ % this.ready.length]!;
    const id = this.nextId++;
    let sockets = this.handed.get(worker);
    if (sockets === undefined) this.handed.set(worker, (sockets = new Map<number, Socket>()));
    sockets.set(id, socket);
    const message: HandedConnection = { apiHub: 'connection', id };
    // keepOpen: this copy is closed when the worker says it has the connection, or dies.
    worker.send(message, socket, { keepOpen: true }, (err) => {
      if (err === null || sockets.get(id) !== socket) return;
      // Not sent (the worker's channel closed): another worker gets it.
      sockets.delete(id);
      this.unready(worker);
      this.dispatch(socket);
    });
  }
}
