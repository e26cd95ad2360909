/** The flows' guard settings as the hub reads them from its environment. */
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '@plantgraph/hub';

describe('flows guard settings', () => {
  it('keeps host nodes off, function nodes at 5 s and every endpoint authenticated unless set', () => {
    for (const env of [{}, { NODE_ENV: 'production', PLANTGRAPH_FLOWS: 'off' }]) {
      const { flows } = configFromEnv(env);
      expect(flows).toMatchObject({
        hostAccess: false,
        functionTimeoutSeconds: 5,
        publicHttpPaths: [],
      });
    }
  });

  it('takes host access only as on or off, also in production', () => {
    expect(configFromEnv({ PLANTGRAPH_FLOWS_HOST_ACCESS: 'ON' }).flows.hostAccess).toBe(true);
    expect(
      configFromEnv({ NODE_ENV: 'production', PLANTGRAPH_FLOWS: 'off', PLANTGRAPH_FLOWS_HOST_ACCESS: 'on' }).flows
        .hostAccess,
    ).toBe(true);
    expect(() => configFromEnv({ PLANTGRAPH_FLOWS_HOST_ACCESS: 'yes' })).toThrow(
      /PLANTGRAPH_FLOWS_HOST_ACCESS must be "on" or "off", got "yes" \(on grants every flow editor shell access to the hub host\)/,
    );
  });

  it('reads public endpoints as paths or /prefix/*, and refuses anything else', () => {
    expect(configFromEnv({ PLANTGRAPH_FLOWS_PUBLIC_HTTP: ' /status, /andon/* ,' }).flows.publicHttpPaths).toEqual([
      '/status',
      '/andon/*',
    ]);
    for (const bad of ['/*', 'status', '/a*b', '/a b'])
      expect(() => configFromEnv({ PLANTGRAPH_FLOWS_PUBLIC_HTTP: bad })).toThrow(/PLANTGRAPH_FLOWS_PUBLIC_HTTP: /);
    expect(() => configFromEnv({ PLANTGRAPH_FLOWS_FUNCTION_TIMEOUT_SECONDS: '0' })).toThrow(
      /PLANTGRAPH_FLOWS_FUNCTION_TIMEOUT_SECONDS must be an integer of at least 1/,
    );
  });
});
