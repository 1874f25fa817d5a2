/**
 * The provider of the request & respond benchmark: answers every POST with the same grade book of
 * about 2 KB (built by the example ERP, valid against the catalogue), after reading the whole body.
 * It checks nothing, so the numbers measure what sits in front of it.
 */
import { createServer } from 'node:http';
import { gradeBooksFor } from '../../examples/erp-provider.js';
import { serve } from './child.js';

export const ANSWER = Buffer.from(
  JSON.stringify(gradeBooksFor({ id: 'bench-user', name: 'Ana Souza', alias: 'ana.souza' }, { students: 1, subjects: 2, today: new Date('2025-06-15') })),
);

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length });
    res.end(ANSWER);
  });
});
serve(server);
