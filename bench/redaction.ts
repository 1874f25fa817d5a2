/**
 * `npx tsx bench/redaction.ts`: what looking for a provider's legacy secret costs on the call
 * path, beside the JSON.parse of the answer that the response validation already does. Prints,
 * per kind of answer, the microseconds of the parse, of the fast check alone and of the whole
 * redaction step as the call path runs it (`redactJson`).
 */
import { randomBytes } from 'node:crypto';
import { mayContainSecret, redactJson } from '../src/relay/redaction.js';

const secret = randomBytes(32).toString('base64url');

/** A gradebook-like answer of `rows` rows. */
function answer(rows: number, comment = 'Ótima participação nas aulas'): string {
  const result = Array.from({ length: rows }, (_, i) => ({
    id: `gb-${i}`,
    title: `Matemática ${i}`,
    teacher: { id: `t-${i}`, name: 'Carla Mendes' },
    grade: 8.5,
    comment,
  }));
  return JSON.stringify({ result });
}

function microseconds(fn: () => unknown, iterations: number): number {
  for (let i = 0; i < Math.min(iterations, 200); i++) fn();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return ((performance.now() - start) / iterations) * 1000;
}

const cases: Array<[string, string]> = [
  ['1 KB', answer(5)],
  ['64 KB', answer(320)],
  ['1 MB', answer(5200)],
  ['64 KB, non-ASCII escaped (Python)', answer(320).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)],
  ['64 KB, <>& escaped (Go)', answer(320, '\\u003cb\\u003eBom\\u003c/b\\u003e \\u0026 atento')],
  ['64 KB, an escaped letter (walked)', answer(320, 'A\\u0041')],
  ['64 KB, the secret echoed once (redacted)', answer(320).replace('Carla Mendes', secret)],
];
for (const [name, text] of cases) {
  const iterations = text.length > 500_000 ? 200 : 3000;
  const parsed: unknown = JSON.parse(text);
  const parse = microseconds(() => JSON.parse(text), iterations);
  const check = microseconds(() => mayContainSecret(text, [secret]), iterations);
  const redact = microseconds(() => redactJson(text, parsed, [secret]), iterations);
  console.log(
    `${name.padEnd(42)} ${String(text.length).padStart(7)} B  parse ${parse.toFixed(1).padStart(7)} µs  check ${check.toFixed(1).padStart(6)} µs  redaction step ${redact.toFixed(1).padStart(6)} µs (${((redact / parse) * 100).toFixed(1)} % of the parse)`,
  );
}
