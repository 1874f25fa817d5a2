/**
 * The `api-hub` command: a subcommand dispatcher. No subcommand (or a first argument that is an
 * option) runs the hub as `serve`, so `npm start` and `node dist/src/main.js --port 9000` keep
 * working. Exit codes: 0 ok, 1 a check or a request failed, 2 a usage error.
 */
import { EXIT_USAGE, UsageError, type Io } from './output.js';
import { serve, SERVE_HELP } from './serve.js';

type Subcommand = (argv: string[], io: Io) => Promise<number>;

interface Entry {
  summary: string;
  run: () => Promise<Subcommand>;
  help: () => Promise<string>;
}

const SUBCOMMANDS: Record<string, Entry> = {
  serve: { summary: 'run the hub (the default)', run: () => Promise.resolve(serve), help: () => Promise.resolve(SERVE_HELP) },
  conformance: {
    summary: 'check that a provider answers an action as the hub expects',
    run: async () => (await import('./conformance.js')).conformance,
    help: async () => (await import('./conformance.js')).CONFORMANCE_HELP,
  },
  mock: {
    summary: 'run a provider that answers actions with schema-valid, deterministic data',
    run: async () => (await import('./mock.js')).mock,
    help: async () => (await import('./mock.js')).MOCK_HELP,
  },
  call: {
    summary: 'call a provider through a hub, as an app',
    run: async () => (await import('./app-requests.js')).call,
    help: async () => (await import('./app-requests.js')).CALL_HELP,
  },
  publish: {
    summary: 'publish an event through a hub, as an app',
    run: async () => (await import('./app-requests.js')).publish,
    help: async () => (await import('./app-requests.js')).PUBLISH_HELP,
  },
  backup: {
    summary: 'copy the SQLite database, consistently, while the hub runs (with its key file)',
    run: async () => (await import('./backup.js')).backup,
    help: async () => (await import('./backup.js')).BACKUP_HELP,
  },
  types: {
    summary: "print the TypeScript types of actions (built-in, or a hub's own)",
    run: async () => (await import('./types.js')).types,
    help: async () => (await import('./types.js')).TYPES_HELP,
  },
};

export function topLevelHelp(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((name) => name.length));
  return [
    'Usage: api-hub [subcommand] [options]',
    '',
    'Subcommands:',
    ...Object.entries(SUBCOMMANDS).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`),
    '',
    'With no subcommand, api-hub runs the hub (`api-hub serve`). `api-hub <subcommand> --help`',
    'describes a subcommand. Output is human-readable (coloured on a terminal unless NO_COLOR is',
    'set); --json prints one JSON document instead.',
    '',
    'Exit codes: 0 ok, 1 a check or request failed, 2 a usage error.',
    '',
  ].join('\n');
}

/** Runs a command line (without `node` and the script); resolves to the exit code. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h') {
    io.stdout.write(`${topLevelHelp()}\n${SERVE_HELP}`);
    return 0;
  }
  const named = first !== undefined && !first.startsWith('-');
  const entry = named ? SUBCOMMANDS[first] : SUBCOMMANDS.serve!;
  if (entry === undefined) {
    io.stderr.write(`api-hub: unknown subcommand "${first}"\n\n${topLevelHelp()}`);
    return EXIT_USAGE;
  }
  try {
    return await (
      await entry.run()
    )(named ? rest : argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      // The hub's own messages keep the form they had before subcommands (scripts match them).
      const prefix = entry === SUBCOMMANDS.serve ? '' : 'api-hub: ';
      io.stderr.write(`${prefix}${err.message}\n\n${await entry.help()}`);
      return EXIT_USAGE;
    }
    throw err;
  }
}
