/**
 * `api-hub serve` (and `api-hub` with no subcommand): runs the hub — configuration from the
 * environment and flags, storage, HTTP server, graceful shutdown on SIGTERM/SIGINT. Resolves once
 * the hub listens; the process then lives until a signal stops it. With more than one worker
 * (HUB_WORKERS), this process is their supervisor instead (src/cluster/supervisor.ts), and each
 * worker runs this same function as a single hub.
 */
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { pino } from 'pino';
import { PlanError, planWorkers } from '../cluster/plan.js';
import { supervise } from '../cluster/supervisor.js';
import { serveHandedConnections } from '../cluster/worker-connections.js';
import { helpText, loadConfig } from '../config.js';
import { createHub, newAdminToken } from '../hub.js';
import { checkSecretKeys, isPostgresUrl, openStore } from '../store/open.js';
import { EXIT_OK, UsageError, type Io } from './output.js';

export const SERVE_HELP = `${helpText().replace('Usage: api-hub [options]', 'Usage: api-hub [serve] [options]\n\nRuns the hub. Every flag can be set by its environment variable instead.')}`;

export async function serve(argv: string[], io: Io): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(SERVE_HELP);
    return EXIT_OK;
  }
  let config;
  try {
    config = loadConfig(argv, io.env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  // Refused here rather than in each worker, which the supervisor would restart in a loop.
  checkSecretKeys(config.databaseUrl, { secretKey: config.secretKey, previousSecretKey: config.secretKeyPrevious });
  const storage = isPostgresUrl(config.databaseUrl) ? 'postgres' : 'sqlite';
  let workers;
  try {
    workers = planWorkers(storage, config.workers, config.role, availableParallelism());
  } catch (err) {
    if (err instanceof PlanError) throw new UsageError(err.message);
    throw err;
  }
  const log = pino({ level: config.logLevel });
  if (workers > 1 && cluster.isPrimary) {
    // One admin token for all the workers: generated here when unset, printed once.
    const adminToken = config.adminToken ?? newAdminToken();
    await supervise({
      workers,
      port: config.port,
      host: config.host,
      env: { HUB_WORKERS: String(workers), HUB_ADMIN_TOKEN: adminToken },
      log,
      shutdownGraceMs: config.shutdownGraceMs,
      onListening: (address) => {
        log.info({ ...address, storage, workers, role: config.role }, 'API Hub listening');
        if (config.adminToken === undefined) io.stdout.write(adminTokenNotice(adminToken));
      },
    });
    return EXIT_OK;
  }
  // undici parses HTTP answers with llhttp compiled to WebAssembly. V8's optimising tier compiles
  // it in the background after the first exchange, which mallocs about 35 MB at once: that spike
  // was the hub's peak resident memory. Liftoff, the baseline tier, parses a provider's or
  // subscriber's answer at no CPU cost the bench can see (docs/adr/0020). Set before the first
  // outbound connection compiles the module; in the hub's process only, not in an embedder's.
  setFlagsFromString('--liftoff-only');
  const store = await openStore(config.databaseUrl, { secretKey: config.secretKey, previousSecretKey: config.secretKeyPrevious, log });
  // A worker enforces its share of the rate limit: together they allow the configured rate.
  const hub = await createHub({ config, store, logger: log, rateLimitShares: cluster.isWorker ? workers : 1, deliveryThread: true });
  // A worker serves the connections its supervisor accepted; a single hub listens itself.
  const handed = cluster.isWorker ? serveHandedConnections(hub.app.server) : undefined;
  if (handed !== undefined) {
    hub.app.addHook('preClose', async () => {
      hub.app.server.closeIdleConnections();
      await handed.drained();
    });
    await hub.app.ready();
    handed.ready();
    log.debug({ role: config.role }, 'hub worker serving');
  } else {
    await hub.app.listen({ port: config.port, host: config.host });
    // The port bound, which PORT=0 leaves to the system.
    const { port } = hub.app.server.address() as AddressInfo;
    log.info({ port, host: config.host, storage: store.kind, role: config.role }, 'API Hub listening');
    if (config.adminToken === undefined) io.stdout.write(adminTokenNotice(hub.adminToken));
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight work');
    handed?.stopping();
    const force = setTimeout(() => {
      log.error('shutdown grace period over; exiting with work unfinished');
      process.exit(1);
    }, config.shutdownGraceMs).unref();
    hub
      .close()
      .then(() => store.close())
      .then(() => {
        clearTimeout(force);
        log.info('stopped');
      })
      .catch((err: unknown) => {
        log.error({ err }, 'error during shutdown');
        process.exitCode = 1;
      })
      .finally(() => {
        // The channel to the supervisor would keep a worker alive once its hub is closed.
        if (cluster.isWorker) process.exit();
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return EXIT_OK;
}

/** Printed once, on stdout, so `npm start` alone gives a usable hub; never logged. */
function adminTokenNotice(token: string): string {
  return `\nHUB_ADMIN_TOKEN was not set; the admin token of this run is:\n\n  ${token}\n\n`;
}
