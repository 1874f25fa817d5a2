#!/usr/bin/env node
/** Runs the hub: configuration, storage, HTTP server, graceful shutdown on SIGTERM/SIGINT. */
import { pino } from 'pino';
import { helpText, loadConfig } from './config.js';
import { createHub } from './hub.js';
import { openStore } from './store/open.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText());
    return;
  }
  let config;
  try {
    config = loadConfig(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${helpText()}`);
    process.exitCode = 2;
    return;
  }
  const log = pino({ level: config.logLevel });
  const store = await openStore(config.databaseUrl, { secretKey: config.secretKey, previousSecretKey: config.secretKeyPrevious, log });
  const hub = await createHub({ config, store, logger: log });
  await hub.app.listen({ port: config.port, host: config.host });
  log.info({ port: config.port, host: config.host, storage: store.kind }, 'API Hub listening');
  if (config.adminToken === undefined) {
    // Printed once, on stdout, so `npm start` alone gives a usable hub; never logged.
    process.stdout.write(`\nHUB_ADMIN_TOKEN was not set; the admin token of this run is:\n\n  ${hub.adminToken}\n\n`);
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
}

main().catch((err: unknown) => {
  process.stderr.write(`API Hub failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
