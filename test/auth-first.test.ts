/**
 * The caller is checked before its body is read: a request without a valid token, community,
 * installation or rate allowance is refused whatever it carries (a body that would be 400, 413 or
 * 415 gets the earlier answer), and the order of the checks is the SPEC's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { install, registerApp, type Answer } from './support/hub.js';
import { CHANGED, COMMUNITY, ECHO, startEchoSetup, type EchoSetup } from './support/echo-setup.js';
import { expectExactError } from './support/errors.js';

const TOO_LARGE = `{"name":"${'x'.repeat(2 * 1024 * 1024)}"}`;
const MALFORMED = '{"name":';
const POLLUTING = '{"constructor":{"prototype":{"x":1}}}';

describe('authentication before the body', () => {
  let setup: EchoSetup;
  let stranger: string;
  beforeAll(async () => {
    setup = await startEchoSetup({ rateLimitPerSecond: 1 });
    stranger = await registerApp(setup.hub, 'stranger', { services: { requests: [{ action: ECHO, reason: 'x' }] } });
  });
  afterAll(async () => {
    await setup.close();
  });

  const post = (path: string, headers: Record<string, string>, body: string, contentType = 'application/json') =>
    setup.hub.send('POST', path, { headers: { ...headers, 'content-type': contentType }, body });

  it('answers 401 without reading a body that would be 413, 400 or 415', async () => {
    for (const path of [`/v1/services/call/${ECHO}/echo`, `/v1/services/publish/${CHANGED}`, `/services/call/${ECHO}/echo`]) {
      expectExactError(await post(path, {}, TOO_LARGE), 401, 'Unauthorized', 'no token: send Authorization: Bearer <app token>');
      expectExactError(await post(path, { authorization: 'Bearer nope' }, MALFORMED), 401, 'Unauthorized', 'the token is unknown or revoked');
      expectExactError(await post(path, { authorization: 'Bearer nope' }, POLLUTING), 401, 'Unauthorized', 'the token is unknown or revoked');
      expectExactError(await post(path, {}, 'plain text', 'text/plain'), 401, 'Unauthorized', 'no token: send Authorization: Bearer <app token>');
    }
    expect(setup.provider.received).toHaveLength(0);
  });

  it('checks the community, then the installation, before the body', async () => {
    const path = `/v1/services/call/${ECHO}/echo`;
    expectExactError(
      await post(path, { authorization: `Bearer ${setup.token}` }, TOO_LARGE),
      400,
      'InvalidRequest',
      'no community: send it in the community-id or X-Community-Id header, or the _community query parameter',
    );
    expectExactError(
      await post(path, { authorization: `Bearer ${stranger}`, 'x-community-id': COMMUNITY }, TOO_LARGE),
      403,
      'Forbidden',
      `app "stranger" is not installed in community "${COMMUNITY}"`,
    );
  });

  it('then reads the body of an authenticated caller', async () => {
    const path = `/v1/services/call/${ECHO}/echo`;
    expectExactError(await post(path, setup.headers, TOO_LARGE), 413, 'PayloadTooLarge', 'the body is larger than the limit of 1048576 bytes (HUB_BODY_LIMIT)');
  });

  it('applies the rate limit before the body too', async () => {
    const hasty = await registerApp(setup.hub, 'hasty', { services: { requests: [{ action: ECHO, reason: 'x' }] } });
    await install(setup.hub, COMMUNITY, 'hasty');
    const headers = { authorization: `Bearer ${hasty}`, 'x-community-id': COMMUNITY };
    const path = `/v1/services/call/${ECHO}/echo`;
    // One call per second with a burst of two: the third malformed body gets 429, not 400.
    const answers: Answer[] = [];
    for (let i = 0; i < 3; i++) answers.push(await post(path, headers, MALFORMED));
    expect(answers.slice(0, 2).map((a) => a.status)).toEqual([400, 400]);
    const answer = answers[2]!;
    expect(answer.status, answer.text).toBe(429);
    expect(answer.body).toMatchObject({ status: 429, type: 'TooManyRequests', requestId: answer.headers['x-request-id'] });
    expect(answer.headers['retry-after']).toBeDefined();
  });
});
