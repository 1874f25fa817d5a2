/** The side of a benchmark server process that talks to the parent: say where it listens, stop on request. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** Tells the parent (over the fork IPC channel) the port the server listens on. */
export function ready(port: number): void {
  if (process.send) process.send({ ready: true, port });
  else console.log(`listening on http://127.0.0.1:${port}`);
}

/** Runs `close` on SIGTERM/SIGINT or when the parent goes away, then exits. */
export function onStop(close: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    close()
      .catch((err: unknown) => console.error(err))
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('disconnect', stop);
}

/** Starts a Fastify app on 127.0.0.1 (PORT or a free port), tells the parent; on stop closes it, then the rest. */
export async function serveFastify(app: FastifyInstance, closeRest: () => Promise<void> | void): Promise<void> {
  await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
  ready((app.server.address() as AddressInfo).port);
  onStop(async () => {
    await app.close();
    await closeRest();
  });
}

/** Serves `server` on 127.0.0.1 (PORT or a free port), tells the parent, and closes it on stop. */
export function serve(server: Server): void {
  server.keepAliveTimeout = 60_000;
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => ready((server.address() as AddressInfo).port));
  onStop(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
}
