/**
 * `npx tsx bench/validation.ts`: the cost of schema validation in this process, no HTTP. Prints
 * - the hot path: µs per validation of the first valid request and response examples of built-in
 *   actions: GradeBooks:getRelated (formats) and Users:getByAliases (a `pattern` and formats per
 *   user), and of a Users answer of 100 users;
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

const builtins = loadBuiltinCatalog();
for (const id of ['@layers:education:GradeBooks:getRelated', '@layers:data:Users:getByAliases']) {
  const file = builtins.find((candidate) => candidate.id === id)!;
  const compiled = compileAction(file);
  const request = file.examples.data.valid[0];
  const response = file.examples.response!.valid[0] as { data?: unknown[] };
  const responses: Array<[string, unknown]> = [['response', response]];
  if (Array.isArray(response.data)) {
    const page = { ...response, data: Array.from({ length: 100 }, (_, i) => response.data![i % response.data!.length]) };
    responses.push(['response of 100 users', page]);
  }
  if (compiled.validateData(request) !== null) throw new Error(`${id}: request example no longer valid`);
  console.log(`${id} request: ${microsecondsPer(() => compiled.validateData(request), 100_000).toFixed(2)} µs per validation`);
  for (const [label, value] of responses) {
    if (compiled.validateResponse!(value) !== null) throw new Error(`${id}: ${label} no longer valid`);
    console.log(
      `${id} ${label}: ${microsecondsPer(() => compiled.validateResponse!(value), label === 'response' ? 100_000 : 5_000).toFixed(2)} µs per validation`,
    );
  }
}

const strings = compileSchema({ type: 'array', items: { type: 'string' }, maxItems: 100 });
for (const [label, items] of [
  ['1 MiB body, 512 Ki problems', 512 * 1024],
  ['4,999 problems', 4_999],
] as const) {
  const body: unknown = JSON.parse(`[${'1,'.repeat(items - 1)}1]`);
  let answerBytes = 0;
  const cpuMs =
    microsecondsPer(() => {
      const answer = JSON.stringify(invalidRequest('the body does not match', strings(body) ?? []).toBody('req-1'));
      answerBytes = Buffer.byteLength(answer);
    }, 5) / 1000;
  console.log(`${label}: ${cpuMs.toFixed(3)} ms CPU to validate and render, answer ${answerBytes} bytes`);
}
