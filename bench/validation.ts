/**
 * `npx tsx bench/validation.ts`: the cost of schema validation in this process, no HTTP. Prints
 * - the hot path: µs per validation of the built-in GradeBooks:getRelated request and response
 *   examples (the response has string patterns and date-time formats);
 * - a 1 MiB body against `{ type: array, items: { type: string }, maxItems: 100 }` made of numbers
 *   (half a million problems): CPU ms to validate it and render the error answer, and the
 *   answer's size in bytes.
 * - the largest document whose problems are all listed (4,999 numbers, each a problem): the same.
 * The figures of docs/schemas.md come from here.
 */
import { loadBuiltinCatalog } from '../src/catalog/builtin.js';
import { compileAction, compileSchema } from '../src/catalog/validators.js';
import { invalidRequest } from '../src/errors.js';

function microsecondsPer(run: () => void, iterations: number): number {
  for (let i = 0; i < iterations / 10; i++) run();
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / iterations;
}

const grades = loadBuiltinCatalog().find((file) => file.id === '@layers:education:GradeBooks:getRelated')!;
const compiled = compileAction(grades);
const request = grades.examples.data.valid[0];
const response = grades.examples.response!.valid[0];
if (compiled.validateData(request) !== null || compiled.validateResponse!(response) !== null) throw new Error('GradeBooks examples no longer valid');
console.log(`GradeBooks request:  ${microsecondsPer(() => compiled.validateData(request), 200_000).toFixed(2)} µs per validation`);
console.log(`GradeBooks response: ${microsecondsPer(() => compiled.validateResponse!(response), 200_000).toFixed(2)} µs per validation`);

const strings = compileSchema({ type: 'array', items: { type: 'string' }, maxItems: 100 });
for (const [label, items] of [['1 MiB body, 512 Ki problems', 512 * 1024], ['4,999 problems', 4_999]] as const) {
  const body: unknown = JSON.parse(`[${'1,'.repeat(items - 1)}1]`);
  let answerBytes = 0;
  const cpuMs =
    microsecondsPer(() => {
      const answer = JSON.stringify(invalidRequest('the body does not match', strings(body) ?? []).toBody('req-1'));
      answerBytes = Buffer.byteLength(answer);
    }, 5) / 1000;
  console.log(`${label}: ${cpuMs.toFixed(3)} ms CPU to validate and render, answer ${answerBytes} bytes`);
}
