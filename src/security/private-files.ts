/**
 * Files only the hub's own user may read: the SQLite database with its -wal and -shm files, and
 * the key file. Each is created with mode 0600 (directories the hub creates, 0700), and a file left
 * readable by others by an earlier version is narrowed to 0600 when the hub opens it.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Creates the directory (and its missing parents) with mode 0700; an existing one is left as it is. */
export function ensurePrivateDir(dir: string): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Narrows an existing file to 0600 when others may read or write it; nothing when it is missing. */
export function narrowToPrivate(path: string): void {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return;
  }
  // Only the group and other bits are taken away: an owner's own bits are the owner's business.
  if ((mode & 0o077) !== 0) chmodSync(path, mode & 0o700);
}

/** Creates the file empty with mode 0600 when missing (never truncating), or narrows it. */
export function ensurePrivateFile(path: string): void {
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  narrowToPrivate(path);
}
