/** The CLI's colours: only on a terminal, never when NO_COLOR is set (https://no-color.org). */
import { describe, expect, it } from 'vitest';
import { formatReport } from '../src/cli/conformance.js';
import type { ConformanceReport } from '../src/cli/conformance-checks.js';
import type { Io, Writer } from '../src/cli/output.js';

const report: ConformanceReport = {
  action: '@acme:Echo:get',
  version: 1,
  url: 'http://127.0.0.1:1/echo',
  passed: false,
  checks: [
    { name: 'example 1', passed: true, summary: 'answered 200' },
    { name: 'missing signature', passed: false, summary: 'accepted with 200', status: 200 },
  ],
};
const io = (isTTY: boolean, env: NodeJS.ProcessEnv): Io => {
  const stream: Writer = { write: () => true, isTTY };
  return { stdout: stream, stderr: stream, env };
};
const ESC = '\u001b[';

describe('CLI colours', () => {
  it('colours a terminal', () => {
    const text = formatReport(report, io(true, {}));
    expect(text).toContain(`${ESC}32mPASS${ESC}39m`);
    expect(text).toContain(`${ESC}31mFAIL${ESC}39m`);
    expect(formatReport(report, io(true, { NO_COLOR: '' }))).toContain(ESC);
  });

  it('does not colour a pipe or a file, nor a terminal when NO_COLOR is set', () => {
    for (const text of [formatReport(report, io(false, {})), formatReport(report, io(true, { NO_COLOR: '1' }))]) {
      expect(text).not.toContain(ESC);
      expect(text).toContain('  PASS  example 1: answered 200\n  FAIL  missing signature: accepted with 200\n');
      expect(text).toContain('1 of 2 checks failed.');
    }
  });
});
