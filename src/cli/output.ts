/**
 * What the CLI prints: human-readable lines by default, coloured only on a TTY and never when
 * NO_COLOR is set (https://no-color.org), or one JSON document with `--json`.
 */
import { inspect } from 'node:util';

export interface Writer {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface Io {
  stdout: Writer;
  stderr: Writer;
  env: NodeJS.ProcessEnv;
}

export const processIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

/** Exit codes scripts can rely on. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A mistake in the command line: printed with the subcommand's help, exit code 2. */
export class UsageError extends Error {}

export type Paint = (text: string) => string;

export interface Colours {
  ok: Paint;
  fail: Paint;
  dim: Paint;
  bold: Paint;
}

function colourEnabled(stream: Writer, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

/** Colours for a stream: ANSI codes through util.styleText's table, or none at all. */
export function coloursFor(stream: Writer, env: NodeJS.ProcessEnv): Colours {
  if (!colourEnabled(stream, env)) {
    const plain: Paint = (text) => text;
    return { ok: plain, fail: plain, dim: plain, bold: plain };
  }
  const paint =
    (style: keyof typeof inspect.colors): Paint =>
    (text) => {
      const [open, close] = inspect.colors[style]!;
      return `\u001b[${open}m${text}\u001b[${close}m`;
    };
  return { ok: paint('green'), fail: paint('red'), dim: paint('gray'), bold: paint('bold') };
}

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
