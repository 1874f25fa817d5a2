/**
 * Makes committed publishes durable without holding the event loop during the fsync.
 *
 * Publishes commit with `synchronous = NORMAL`: the WAL frames are written, not yet synced. Before
 * the hub answers 201 it awaits `sync()`, an fsync of the WAL file run on libuv's thread pool. fsync
 * flushes the file, whatever descriptor asks, so every frame written before it started is on disk:
 * what `synchronous = FULL` guarantees, but with the loop free to parse the next requests, whose
 * commits then share the next fsync. If a checkpoint moved the frames into the database file
 * meanwhile, SQLite synced that file itself before reusing the WAL.
 */
import { open, type FileHandle } from 'node:fs/promises';

export class WalSync {
  private file: Promise<FileHandle> | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly walPath: string,
    /** The fsync itself; a parameter so tests can count them. */
    private readonly fsync: (file: FileHandle) => Promise<void> = (file) => file.sync(),
  ) {}

  /** Resolves once an fsync that began after this call has completed. */
  sync(): Promise<void> {
    if (this.running === undefined) {
      this.running = this.fsyncOnce().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    // The fsync under way may have begun before the caller's commit: join the next one.
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.sync();
      });
    return this.queued;
  }

  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await Promise.allSettled([this.running, this.queued]);
    if (file !== undefined) await (await file.catch(() => undefined))?.close();
  }

  private async fsyncOnce(): Promise<void> {
    // Opened on first use: the WAL exists once the connection in WAL mode has written.
    this.file ??= open(this.walPath, 'r');
    try {
      await this.fsync(await this.file);
    } catch (err) {
      this.file = undefined;
      throw err;
    }
  }
}
