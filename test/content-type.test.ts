/**
 * Request bodies as real clients send them: JSON media types with parameters (axios, .NET, OkHttp
 * send `application/json; charset=utf-8`), other charsets refused by name, bytes that are not
 * well-formed UTF-8 refused rather than replaced, and a body starting with a UTF-8 byte order mark
 * forwarded and stored without it, so what providers and subscribers get is JSON whose signature
 * verifies.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHANGED, COMMUNITY, ECHO, startEchoSetup, until, type EchoSetup } from './support/echo-setup.js';
import { expectError, expectExactError } from './support/errors.js';

describe('content types and byte order marks', () => {
  let setup: EchoSetup;
  beforeAll(async () => {
    setup = await startEchoSetup();
  });
  afterAll(async () => {
    await setup.close();
  });
  beforeEach(() => {
    setup.provider.received.length = 0;
    setup.subscriber.received.length = 0;
  });

  const call = (body: string | Buffer, contentType: string) =>
    setup.hub.send('POST', `/v1/services/call/${ECHO}/echo`, { headers: { ...setup.headers, 'content-type': contentType }, body });
  const publish = (body: string | Buffer, contentType: string) =>
    setup.hub.send('POST', `/v1/services/publish/${CHANGED}`, { headers: { ...setup.headers, 'content-type': contentType }, body });

  it.each([
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'application/json; charset="utf-8"',
    'application/json; charset=utf8',
    'Application/JSON',
    'application/json; version=1',
    'application/vnd.api+json; charset=utf-8',
  ])('accepts %s on a call and a publish', async (contentType) => {
    const called = await call('{"name":"Carla"}', contentType);
    expect(called.status, called.text).toBe(200);
    expect(called.body).toEqual({ data: { echo: { name: 'Carla' } } });
    const published = await publish('{"name":"Carla"}', contentType);
    expect(published.status, published.text).toBe(201);
  });

  it.each(['application/json; charset=iso-8859-1', 'application/json; charset="utf-16"'])('refuses %s with 415 naming the charset', async (contentType) => {
    const charset = /charset="?([\w-]+)/.exec(contentType)![1]!;
    for (const answer of [await call('{"name":"Carla"}', contentType), await publish('{"name":"Carla"}', contentType)]) {
      expect(answer.status).toBe(415);
      expect(answer.body).toEqual({
        status: 415,
        type: 'UnsupportedMediaType',
        name: 'Unsupported Media Type',
        error: `the body must be JSON in UTF-8; charset "${charset}" is not accepted`,
        requestId: answer.headers['x-request-id'],
      });
    }
    expect(setup.provider.received).toHaveLength(0);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'text/json'])('refuses %s with 415', async (contentType) => {
    const answer = await call('{"name":"Carla"}', contentType);
    expect(answer.status).toBe(415);
    expect(answer.body).toEqual({
      status: 415,
      type: 'UnsupportedMediaType',
      name: 'Unsupported Media Type',
      error: 'the body must be JSON, sent with content-type: application/json',
      requestId: answer.headers['x-request-id'],
    });
  });

  it.each([
    ['a lone continuation and truncated sequences', Buffer.from([0xff, 0xfe, 0xc3])],
    ['an overlong encoding of "/"', Buffer.from([0xc0, 0xaf])],
    ['an encoded surrogate', Buffer.from([0xed, 0xa0, 0x80])],
  ])('refuses a body with %s with 400, never replacing the bytes', async (_name, bad) => {
    const body = Buffer.concat([Buffer.from('{"name":"'), bad, Buffer.from('"}')]);
    const event = await setup.hub.admin('GET', '/events');
    for (const answer of [await call(body, 'application/json'), await publish(body, 'application/json; charset=utf-8')]) {
      expectExactError(answer, 400, 'InvalidRequest', 'the body is not valid UTF-8');
    }
    expect(setup.provider.received).toHaveLength(0);
    expect((await setup.hub.admin('GET', '/events')).body.items).toEqual(event.body.items);
  });

  it('takes multi-byte UTF-8 as sent, on a call and a publish', async () => {
    const name = 'ação 🎉 日本';
    const body = Buffer.from(`{"name":"${name}"}`, 'utf8');
    const called = await call(body, 'application/json');
    expect(called.status, called.text).toBe(200);
    expect(called.body).toEqual({ data: { echo: { name } } });
    expect(JSON.parse(setup.provider.received[0]!.body).data).toEqual({ name });
    const published = await publish(body, 'application/json');
    expect(published.status, published.text).toBe(201);
    const event = await setup.hub.admin('GET', `/events/${published.body.id as string}`);
    expect(event.body).toMatchObject({ data: { name } });
  });

  it('forwards a call whose body starts with a byte order mark as the JSON that was validated, signed', async () => {
    const answer = await call('\uFEFF{"name": "Carla"}', 'application/json; charset=utf-8');
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toEqual({ data: { echo: { name: 'Carla' } } });
    const [sent] = setup.provider.received;
    expect(sent!.body.includes('\uFEFF')).toBe(false);
    expect(JSON.parse(sent!.body).data).toEqual({ name: 'Carla' });
    const secrets = (await setup.hub.admin('GET', '/apps/echo/secrets')).body;
    expect(() => new Webhook(secrets.signingSecret).verify(sent!.body, sent!.headers as Record<string, string>)).not.toThrow();
  });

  it('stores and delivers a published body that starts with a byte order mark as valid, signed JSON', async () => {
    const answer = await publish('\uFEFF{"name":"Carla"}', 'application/json');
    expect(answer.status, answer.text).toBe(201);
    const eventId = answer.body.id as string;
    const [delivered] = await until(() => setup.subscriber.received.length > 0 && setup.subscriber.received);
    expect(JSON.parse(delivered!.body)).toMatchObject({ context: { eventId, community: COMMUNITY }, data: { name: 'Carla' } });
    const secrets = (await setup.hub.admin('GET', '/apps/listener/secrets')).body;
    expect(() => new Webhook(secrets.signingSecret).verify(delivered!.body, delivered!.headers as Record<string, string>)).not.toThrow();
    await until(async () => (await setup.hub.admin('GET', `/events/${eventId}`)).body.deliveries?.[0]?.status === 'delivered');
    const event = await setup.hub.admin('GET', `/events/${eventId}`);
    expect(event.status, event.text).toBe(200);
    expect(event.body).toMatchObject({ id: eventId, data: { name: 'Carla' } });
    const events = await setup.hub.admin('GET', '/events');
    expect(events.status, events.text).toBe(200);
    expect(events.body.items[0]).toMatchObject({ id: eventId });
  });

  it('takes a body that is only a byte order mark as no body', async () => {
    const answer = await publish('\uFEFF', 'application/json');
    expectError(answer, 400, 'InvalidRequest', {
      error: `the body is empty (read as null) and does not match the schema of event "${CHANGED}" version 1`,
      details: [expect.objectContaining({ pointer: '' })],
    });
  });

  it('says an empty body is empty when the schema refuses it', async () => {
    const answer = await call('', 'application/json');
    expectError(answer, 400, 'InvalidRequest', {
      error: `the body is empty (read as null) and does not match the request schema of "${ECHO}" version 1`,
      details: [expect.objectContaining({ pointer: '', message: 'must be object' })],
    });
    expect(setup.provider.received).toHaveLength(0);
    // A body that is there but wrong is named as before.
    const wrong = await call('[]', 'application/json');
    expectError(wrong, 400, 'InvalidRequest', { error: `the body does not match the request schema of "${ECHO}" version 1` });
  });
});
