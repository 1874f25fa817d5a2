import { describe, expect, it } from 'vitest';
import { helpText, loadConfig, parseDuration, parseSchedule } from '../src/config.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig([], {});
    expect(config.port).toBe(8080);
    expect(config.host).toBe('127.0.0.1');
    expect(config.adminToken).toBeUndefined();
    expect(config.databaseUrl).toBeUndefined();
    expect(config.retrySchedule).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(config.bodyLimit).toBe(1024 * 1024);
    expect(config.secretOverlapMs).toBe(24 * 3_600_000);
  });

  it('reads the environment and lets a flag override it', () => {
    const env = { PORT: '9000', HUB_RETRY_SCHEDULE: '100ms,1s', LOG_LEVEL: 'debug' };
    expect(loadConfig([], env).port).toBe(9000);
    expect(loadConfig(['--port', '9100'], env).port).toBe(9100);
    expect(loadConfig(['--port=9200'], env).port).toBe(9200);
    expect(loadConfig([], env).retrySchedule).toEqual([100, 1000]);
    expect(loadConfig([], env).logLevel).toBe('debug');
  });

  it('names the option when a value is wrong', () => {
    expect(() => loadConfig([], { PORT: 'eighty' })).toThrow(/--port \/ PORT/);
    expect(() => loadConfig([], { HUB_RETRY_SCHEDULE: '5s,soon' })).toThrow(/HUB_RETRY_SCHEDULE/);
    expect(() => loadConfig(['--no-such-flag'], {})).toThrow();
  });

  it('parses durations and schedules in ms, s, m, h and d', () => {
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseSchedule('')).toEqual([]);
    expect(() => parseDuration('-1s')).toThrow();
  });

  it('lists every environment variable in --help', () => {
    const help = helpText();
    for (const name of ['PORT', 'HOST', 'HUB_ADMIN_TOKEN', 'DATABASE_URL', 'HUB_RETRY_SCHEDULE', 'LOG_LEVEL']) {
      expect(help).toContain(name);
    }
  });
});
