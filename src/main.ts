#!/usr/bin/env node
/** The `api-hub` binary: runs a subcommand (src/cli/); with none, the hub itself. */
import { runCli } from './cli/index.js';
import { EXIT_USAGE, processIo } from './cli/output.js';
import { SecretKeyError } from './security/secret-key.js';
import { SchemaTooNewError } from './store/sql/migration.js';

// `api-hub types | head`: a reader that goes away ends the output, as it does for any Unix tool.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

runCli(process.argv.slice(2), processIo()).then(
  (code) => {
    // Not process.exit: `serve` keeps the process alive with its server until a signal.
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof SchemaTooNewError) {
      // No stack: the message is the whole story, and the exit code tells a supervisor to stop.
      process.stderr.write(`API Hub refused to start: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    if (err instanceof SecretKeyError) {
      // A missing or wrong key is the operator's to fix, like a bad option: the message, exit 2.
      process.stderr.write(`API Hub refused to start: ${err.message}\n`);
      process.exit(EXIT_USAGE);
    }
    const serving = process.argv[2] === undefined || process.argv[2] === 'serve' || process.argv[2].startsWith('-');
    process.stderr.write(serving ? `API Hub failed to start: ${(err as Error).stack ?? String(err)}\n` : `api-hub: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
