/**
 * `api-hub serve` (and `api-hub` with no subcommand): runs the hub — configuration from the
 * environment and flags, storage, HTTP server, graceful shutdown on SIGTERM/SIGINT. Resolves once
 * the hub listens; the process then lives until a signal stops it.
 */
import { pino } from 'pino';
import { helpText, loadConfig } from '../config.js';
import { createHub } from '../hub.js';
import { openStore } from '../store/open.js';
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
  const log = pino({ level: config.logLevel });
  const store = await openStore(config.databaseUrl, { secretKey: config.secretKey, previousSecretKey: config.secretKeyPrevious, log });
  const hub = await createHub({ config, store, logger: log });
  await hub.app.listen({ port: config.port, host: config.host });
  log.info({ port: config.port, host: config.host, storage: store.kind }, 'API Hub listening');
  if (config.adminToken === undefined) {
    // Printed once, on stdout, so `npm start` alone gives a usable hub; never logged.
    io.stdout.write(`\nHUB_ADMIN_TOKEN was not set; the admin token of this run is:\n\n  ${hub.adminToken}\n\n`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight work');
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
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return EXIT_OK;
}
