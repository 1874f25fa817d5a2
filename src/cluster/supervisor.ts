/**
 * The supervisor of `HUB_WORKERS` > 1: listens on the hub's port and forks N full hub processes
 * with node:cluster, handing them the connections round-robin (dispatcher.ts). A worker that dies
 * is replaced after a backoff, unless workers crash in a loop: then it stops all and exits 1. A
 * worker that refused to start on its configuration (exit 2: a key, an option) or its database
 * (exit 3: a newer schema) is not restarted, since another would refuse too: all stop, and the
 * supervisor exits with that code.
 * SIGTERM/SIGINT are passed to every worker, each drains as a single hub does, and the supervisor
 * exits 0 once all are gone (1 if one of them failed or the grace period ran out).
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { ConnectionDispatcher } from './dispatcher.js';
import { CRASH_LOOP, restartDelay } from './plan.js';
import { EXIT_USAGE } from '../cli/output.js';
import { EXIT_SCHEMA_TOO_NEW } from '../store/sql/migration.js';

/** Exit codes of a worker that refused to start for a reason a restart cannot change. */
const REFUSED_TO_START = new Set([EXIT_USAGE, EXIT_SCHEMA_TOO_NEW]);

export interface SupervisorOptions {
  workers: number;
  port: number;
  host: string;
  /** Environment every worker gets on top of the supervisor's own. */
  env: Record<string, string>;
  log: Logger;
  /** A worker's own grace period; the supervisor waits a little longer before killing. */
  shutdownGraceMs: number;
  /** Called once, when every worker of the first generation serves. */
  onListening(address: { port: number; host: string }): void;
}

/** Margin over the workers' grace period before the supervisor kills what is left. */
const KILL_MARGIN_MS = 5_000;

/** Resolves once the port is bound (rejects when it cannot be); the workers start then. */
export async function supervise(options: SupervisorOptions): Promise<void> {
  const { log } = options;
  const dispatcher = new ConnectionDispatcher();
  // Bound before any worker starts: a port in use fails the start once, not each worker in a loop.
  const address = await dispatcher.listen(options.port, options.host);
  const live = new Set<Worker>();
  const crashes: number[] = [];
  let stopping = false;
  let exitCode = 0;
  let listened = 0;

  const fork = () => {
    const worker = cluster.fork(options.env);
    live.add(worker);
    let served = false;
    worker.on('message', (message: unknown) => {
      if (dispatcher.receive(worker, message) !== 'ready' || served) return;
      served = true;
      if (++listened === options.workers) options.onListening(address);
    });
    worker.once('exit', (code, signal) => {
      live.delete(worker);
      dispatcher.remove(worker);
      // Not `pid`: pino's own `pid` on the line is the supervisor's, and a duplicate key loses one.
      const workerPid = worker.process.pid;
      const refused = code !== null && REFUSED_TO_START.has(code);
      if (stopping) {
        // After a refusal to start, siblings that refused too, or were stopped while starting, are
        // the same story, not an unclean stop: the refusal's code stands. A worker that had not
        // started serving ends on the SIGTERM itself (its handler comes with the server): it had
        // nothing in flight, so that is a clean stop too.
        const stoppedWhileStarting = !served && signal === 'SIGTERM';
        if (code !== 0 && !refused && !stoppedWhileStarting && !REFUSED_TO_START.has(exitCode)) {
          log.error({ workerPid, code, signal }, 'hub worker did not stop cleanly');
          exitCode = 1;
        }
        if (live.size === 0) finish();
        return;
      }
      if (refused) {
        log.fatal({ workerPid, code }, 'a hub worker refused to start (its line above says why): stopping every worker');
        stop('a worker refused to start', code);
        return;
      }
      const now = Date.now();
      crashes.push(now);
      const delay = restartDelay(crashes, now);
      if (delay === undefined) {
        log.fatal(
          { workerPid, code, signal },
          `hub workers crash in a loop (${CRASH_LOOP.crashes} exits within ${CRASH_LOOP.withinMs / 1000} s): giving up; the lines above say why`,
        );
        stop('crash loop', 1);
        return;
      }
      log.error({ workerPid, code, signal, restartInMs: delay }, 'hub worker exited; starting another');
      setTimeout(() => {
        if (!stopping) fork();
      }, delay);
    });
  };

  const finish = () => {
    log.info({ exitCode }, 'all hub workers stopped');
    process.exit(exitCode);
  };

  const stop = (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    dispatcher.close();
    log.info({ reason, workers: live.size }, 'shutting down: every worker finishes its in-flight work');
    setTimeout(() => {
      log.error('shutdown grace period over; killing the workers left');
      for (const worker of live) worker.process.kill('SIGKILL');
      process.exit(1);
    }, options.shutdownGraceMs + KILL_MARGIN_MS).unref();
    for (const worker of live) worker.process.kill('SIGTERM');
    if (live.size === 0) finish();
  };

  process.once('SIGTERM', () => stop('SIGTERM', 0));
  process.once('SIGINT', () => stop('SIGINT', 0));
  for (let i = 0; i < options.workers; i++) fork();
}
