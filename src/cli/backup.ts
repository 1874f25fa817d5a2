/**
 * `api-hub backup <file>`: a consistent copy of the hub's SQLite database, taken while the hub
 * runs, with SQLite's online backup API (better-sqlite3's `db.backup()`), and the secrets key it
 * needs beside it: the key file copied to `<file>.key`, or a reminder that HUB_SECRET_KEY must be
 * kept. A copy is written to a temporary file and renamed into place once checked, so `<file>` is
 * never half-written; the check includes that the key the backup relies on is the one its secrets
 * were sealed with (after a key rotation, the key file beside the database is a stale one).
 * PostgreSQL is backed up with its own tools (docs/operations.md).
 */
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { keyFilePath } from '../security/key-file.js';
import { ensurePrivateDir, ensurePrivateFile } from '../security/private-files.js';
import { sealingKeyId } from '../security/secret-box.js';
import { parseSecretKey } from '../security/secret-key.js';
import { sqlitePathOf } from '../store/open.js';
import { SEALED_APP_COLUMNS } from '../store/sql/rows.js';
import { HELP_OPTION, JSON_OPTION, optionalString, parseOptions } from './args.js';
import { coloursFor, EXIT_OK, printJson, UsageError, type Io } from './output.js';

export const BACKUP_HELP = `Usage: api-hub backup <file> [options]

Copies the hub's SQLite database (DATABASE_URL, default ./data/hub.db) to <file>, consistently,
while the hub runs. The app secrets in it open only with the key they were encrypted with: the
key file beside the database is copied to <file>.key; with HUB_SECRET_KEY set, keep that key
with the backup yourself. A key that does not open the secrets in the copy (the stale key file of
a rotated hub) is refused. PostgreSQL: use pg_dump or WAL archiving (docs/operations.md).

  --database <path>           the SQLite file (default: from DATABASE_URL)
  --force                     replace <file> (and <file>.key) when they exist
  --json                      print { database, backup, pages, keyFile, secretKey } as JSON
  --help                      show this help

Exit codes: 0 ok, 1 the backup failed or was refused, 2 a usage error.
`;

const OPTIONS = { ...HELP_OPTION, ...JSON_OPTION, database: { type: 'string' }, force: { type: 'boolean' } } as const;

/** Pages copied per step: all of them, so the copy is one snapshot. A write by the hub between
 * smaller steps would make SQLite restart the copy, and a busy hub could keep it from finishing. */
const ALL_PAGES = 2 ** 30;

export async function backup(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, OPTIONS, true);
  if (values.help === true) {
    io.stdout.write(BACKUP_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'the backup file is required' : 'give one backup file');
  const target = positionals[0]!;
  const force = values.force === true;

  const source = optionalString(values, 'database') ?? sqlitePathOf(io.env.DATABASE_URL);
  if (source === null) {
    throw new Error(
      'DATABASE_URL names PostgreSQL: back it up with pg_dump, or with WAL archiving for point-in-time recovery, ' +
        'and keep HUB_SECRET_KEY apart from it (see docs/operations.md)',
    );
  }
  if (!existsSync(source)) throw new Error(`no database at ${source} (set DATABASE_URL=file:<path> or --database <path>)`);
  const secretKeySet = (io.env.HUB_SECRET_KEY ?? '') !== '';
  const sourceKey = keyFilePath(source);
  const keyToCopy = !secretKeySet && existsSync(sourceKey) ? sourceKey : null;
  const targetKey = keyFilePath(target);
  for (const path of keyToCopy === null ? [target] : [target, targetKey]) {
    if (existsSync(path) && !force) throw new Error(`${path} exists; pass --force to replace it`);
  }

  ensurePrivateDir(dirname(target) || '.');
  const partial = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  let pages: number;
  const db = new Database(source, { fileMustExist: true });
  try {
    ensurePrivateFile(partial);
    pages = (await db.backup(partial, { progress: () => ALL_PAGES })).totalPages;
    const copy = new Database(partial);
    try {
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy failed its check: ${String(check)}`);
      checkSealingKeys(sealingKeyIds(copy), secretKeySet ? envKey(io.env) : keyToCopy !== null ? keyFileKey(keyToCopy) : undefined);
      // One file: what the hub's WAL held is in the copy already.
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    renameSync(partial, target);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    db.close();
  }
  if (keyToCopy !== null) {
    copyFileSync(keyToCopy, targetKey);
    ensurePrivateFile(targetKey);
  }

  const secretKey = secretKeySet ? 'HUB_SECRET_KEY' : keyToCopy !== null ? 'key file' : 'none';
  if (values.json === true) {
    printJson(io, { database: source, backup: target, pages, keyFile: keyToCopy === null ? null : targetKey, secretKey });
    return EXIT_OK;
  }
  const paint = coloursFor(io.stdout, io.env);
  const lines = [`${paint.ok('backed up')} ${source} to ${target} (${pages} pages)`];
  if (secretKey === 'HUB_SECRET_KEY') {
    lines.push('the app secrets in it are encrypted with HUB_SECRET_KEY, which is not in the backup: keep that key with it');
  } else if (secretKey === 'key file') {
    lines.push(`copied the secrets key file ${sourceKey} to ${targetKey}: the backup is useless without it; keep the two together, and private`);
  } else {
    lines.push(`no key file at ${sourceKey} and HUB_SECRET_KEY is not set: the hub has not encrypted any secrets yet`);
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}

/** The keys a restore would be given: HUB_SECRET_KEY (and HUB_SECRET_KEY_PREVIOUS when set). */
function envKey(env: Io['env']): { ids: string[]; names: string } {
  const current = parseSecretKey(env.HUB_SECRET_KEY ?? '', 'HUB_SECRET_KEY');
  const previousText = env.HUB_SECRET_KEY_PREVIOUS ?? '';
  if (previousText === '') return { ids: [current.id], names: `HUB_SECRET_KEY is key ${current.id}` };
  const previous = parseSecretKey(previousText, 'HUB_SECRET_KEY_PREVIOUS');
  return { ids: [current.id, previous.id], names: `HUB_SECRET_KEY is key ${current.id}, HUB_SECRET_KEY_PREVIOUS key ${previous.id}` };
}

function keyFileKey(path: string): { ids: string[]; names: string } {
  const key = parseSecretKey(readFileSync(path, 'utf8'), `key file ${path}`);
  return { ids: [key.id], names: `the key file ${path} is key ${key.id}` };
}

/** The ids of the keys that sealed the app secrets in a database. */
function sealingKeyIds(db: Database.Database): Set<string> {
  const ids = new Set<string>();
  for (const row of db
    .prepare(`SELECT ${SEALED_APP_COLUMNS.join(', ')} FROM apps`)
    .raw()
    .all() as unknown[][]) {
    for (const value of row) {
      const id = typeof value === 'string' ? sealingKeyId(value) : undefined;
      if (id !== undefined) ids.add(id);
    }
  }
  return ids;
}

/** Refuses a backup whose secrets would not open with the key it tells the operator to keep. */
function checkSealingKeys(sealedWith: Set<string>, key: { ids: string[]; names: string } | undefined): void {
  const missing = [...sealedWith].filter((id) => key === undefined || !key.ids.includes(id));
  if (missing.length === 0) return;
  throw new Error(
    `the app secrets in the database are encrypted with key ${missing.join(', ')}, ` +
      `but ${key === undefined ? 'HUB_SECRET_KEY is not set and there is no key file' : key.names}: ` +
      'a restore could not open them. After a key rotation, run the backup with HUB_SECRET_KEY set to the key the hub runs with ' +
      '(docs/secrets.md); no backup was written',
  );
}
