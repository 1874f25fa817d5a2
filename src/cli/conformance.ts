/** `api-hub conformance`: runs the conformance checks (conformance-checks.ts) and prints a report. */
import { findAction } from './actions.js';
import { HELP_OPTION, JSON_OPTION, optionalInteger, optionalString, parseOptions, requiredString } from './args.js';
import { runConformance, type ConformanceReport } from './conformance-checks.js';
import { coloursFor, EXIT_FAILED, EXIT_OK, printJson, UsageError, type Io } from './output.js';

export const CONFORMANCE_HELP = `Usage: api-hub conformance --action <id> --url <provider URL> --signing-secret whsec_… [options]

Sends a provider signed requests for a request action, built from the action's examples and from
generated inputs at the schema's bounds, and checks that it answers each within the action's
timeout with JSON matching the response schema, survives unknown fields, and refuses a missing or
wrong signature and a timestamp 10 minutes old. Exit code 1 when any check fails.

  --action <id>               the action, e.g. @layers:Calendar:getRelated
  --version <n>               its version (default: the highest)
  --url <url>                 the provider's endpoint for the action
  --signing-secret <whsec_…>  the provider app's signing secret
  --secret <secret>           the provider app's legacy secret, put in each body (default empty)
  --timeout <ms>              overrides the action's timeout
  --seed <n>                  seed of the generated inputs (default 1)
  --hub <url>                 read the action from this hub instead of the built-in catalogue
  --admin-token <token>       the hub's admin token (with --hub)
  --json                      print the report as JSON
  --help                      show this help

Exit codes: 0 every check passed, 1 a check failed, 2 a usage error.
`;

const OPTIONS = {
  ...HELP_OPTION,
  ...JSON_OPTION,
  action: { type: 'string' },
  version: { type: 'string' },
  url: { type: 'string' },
  'signing-secret': { type: 'string' },
  secret: { type: 'string' },
  timeout: { type: 'string' },
  seed: { type: 'string' },
  hub: { type: 'string' },
  'admin-token': { type: 'string' },
} as const;

export async function conformance(argv: string[], io: Io): Promise<number> {
  const { values } = parseOptions(argv, OPTIONS);
  if (values.help === true) {
    io.stdout.write(CONFORMANCE_HELP);
    return EXIT_OK;
  }
  const url = requiredString(values, 'url');
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new UsageError(`--url must be an http(s) URL, not "${url}"`);
  const signingSecret = requiredString(values, 'signing-secret');
  if (!/^(whsec_)?[A-Za-z0-9+/]+={0,2}$/.test(signingSecret)) throw new UsageError('--signing-secret must be whsec_ followed by base64');
  const action = await findAction(requiredString(values, 'action'), optionalInteger(values, 'version', 1), {
    hub: optionalString(values, 'hub'),
    adminToken: optionalString(values, 'admin-token'),
  });
  if (action.definition.kind !== 'request')
    throw new UsageError(`"${action.definition.id}" is an event action; conformance checks providers of request actions`);
  const report = await runConformance(action, {
    url,
    signingSecret,
    secret: optionalString(values, 'secret'),
    timeoutMs: optionalInteger(values, 'timeout', 1),
    seed: optionalInteger(values, 'seed'),
  });
  if (values.json === true) printJson(io, report);
  else io.stdout.write(formatReport(report, io));
  return report.passed ? EXIT_OK : EXIT_FAILED;
}

/** The report for a person: one line per check; under a failure, the start of the answer's body
 * and the schema problems with their pointers. */
export function formatReport(report: ConformanceReport, io: Io): string {
  const paint = coloursFor(io.stdout, io.env);
  const lines = [paint.bold(`Conformance of ${report.url} to ${report.action} version ${report.version}`), ''];
  for (const check of report.checks) {
    const mark = check.passed ? paint.ok('PASS') : paint.fail('FAIL');
    lines.push(`  ${mark}  ${check.name}: ${check.summary}`);
    if (check.body !== undefined) lines.push(paint.dim(`          the provider answered ${check.status}: ${check.body}`));
    for (const problem of check.problems ?? [])
      lines.push(paint.dim(`          ${problem.pointer === '' ? '(the answer)' : problem.pointer}: ${problem.message}`));
  }
  const failed = report.checks.filter((c) => !c.passed).length;
  lines.push('', failed === 0 ? paint.ok(`All ${report.checks.length} checks passed.`) : paint.fail(`${failed} of ${report.checks.length} checks failed.`));
  // A provider given another secret refuses every signed request; refusals of the boundary checks
  // then pass, and nothing else points at the secret.
  const refused = report.checks.filter((c) => !c.passed && (c.status === 401 || c.status === 403));
  if (refused.length > 0) {
    lines.push(
      `The provider refused ${refused.map((c) => c.name).join(', ')} with ${[...new Set(refused.map((c) => c.status))].join('/')}: ` +
        'check that --signing-secret (and --secret) are the ones it verifies requests with.',
    );
  }
  lines.push('');
  return lines.join('\n');
}
