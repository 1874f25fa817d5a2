/** Option parsing of the subcommands: node:util parseArgs, its errors turned into usage errors. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './output.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parseOptions(argv: string[], options: Options, allowPositionals = false): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    throw new UsageError(usageMessage((err as Error).message));
  }
}

/** parseArgs' message on one line: its advice on a value starting with a dash spans three. */
function usageMessage(message: string): string {
  const ambiguous = /^Option '([^']+)' argument is ambiguous\./.exec(message);
  if (ambiguous === null) return message;
  const name = ambiguous[1]!;
  return `Option '${name} <value>' argument missing (a value starting with a dash is written ${name}=-…)`;
}

export function requiredString(values: Parsed['values'], name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function optionalString(values: Parsed['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A positive integer option (a port, a version, a seed), or undefined when absent. */
export function optionalInteger(values: Parsed['values'], name: string, min = 0): number | undefined {
  const value = optionalString(values, name);
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min) throw new UsageError(`--${name} must be an integer of at least ${min}, not "${value}"`);
  return Number(value);
}

export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;
export const JSON_OPTION = { json: { type: 'boolean' } } as const;
