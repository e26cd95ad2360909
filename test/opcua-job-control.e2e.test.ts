import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttributeIds,
  ClientMonitoredItem,
  ClientSubscription,
  constructEventFilter,
  DataType,
  type NodeId,
  TimestampsToReturn,
  type Variant,
} from 'node-opcua';
import { MODES, startTestHub, type TestHub } from './support/harness.js';
import { tableCounts } from './support/plant.js';
import { LINE_1, LINE_1_ASSIGNMENTS } from './support/regulated.js';
import { bracketJob, comment, JobControlClient, jobId } from './support/opcua-client.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

const STORED = `number state jobControlState externalReference stateReason quantity snapshot { version }
  assignments { segment equipment operators }`;

describe.each(MODES)('OPC UA ISA-95 Job Control face (%s)', (mode) => {
  let hub: TestHub;
  const keys: Record<'planner' | 'operator' | 'elsewhere', string> = { planner: '', operator: '', elsewhere: '' };
  const clients: JobControlClient[] = [];
  let pki: Awaited<ReturnType<typeof JobControlClient.pkiFolder>>;
  const connect = async (key?: string) => {
    const c = await JobControlClient.connect(hub.jobControl!.endpointUrl, pki.path, key);
    clients.push(c);
    return c;
  };
  const order = async (number: string) =>
    (await hub.gql(`query ($n: String!) { workOrder(number: $n) { ${STORED} } }`, { n: number })).workOrder;

  beforeAll(async () => {
    pki = await JobControlClient.pkiFolder();
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0, opcuaPort: 0 });
    const grants = {
      planner: '{ role: Supervisor, scope: "acme/berlin/assembly" }',
      operator: '{ role: Operator, scope: "acme/berlin/assembly" }',
      elsewhere: '{ role: Supervisor, scope: "acme/berlin/packaging" }',
    };
    for (const [name, grant] of Object.entries(grants)) {
      const { createApiKey } = await hub.gql(
        `mutation { createApiKey(input: { name: "opcua-${name}", grants: [${grant}] }) { ... on CreatedApiKey { secret } } }`,
      );
      keys[name as keyof typeof keys] = createApiKey.secret;
    }
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await hub?.stop();
    await pki?.rm();
  });

  it('has a receiver and a response provider per work center, and refuses anonymous and unknown keys', async () => {
    expect(hub.jobControl!.workCenters).toEqual(expect.arrayContaining([LINE_1, 'acme/berlin/packaging/line-3']));
    expect(hub.jobControl!.workCenters).not.toContain(`${LINE_1}/press-1`);
    await expect(connect()).rejects.toThrow(/BadIdentityTokenInvalid|BadIdentityTokenRejected|anonymous/i);
    if (mode === 'embedded') {
      // A port already taken ends the hub's start with a message naming the setting.
      const taken = Number(new URL(hub.jobControl!.endpointUrl).port);
      await expect(startTestHub(mode, { opcuaPort: taken })).rejects.toThrow(
        `PLANTGRAPH_OPCUA_PORT: the OPC UA Job Control face cannot listen on 127.0.0.1:${taken}`,
      );
    }
    await expect(connect('pgk_abcdefghijkl_notakeynotakeynotakeynotakeynotakeynotakey00')).rejects.toThrow(
      /BadUserAccessDenied|BadIdentityTokenRejected/,
    );
  });

  it('stores and starts a job (a released and started work order), pauses it, with status events', async () => {
    const mes = await connect(keys.planner);
    const center = await mes.workCenter(LINE_1);
    const receiver = await mes.child(center, 'JobOrderReceiver');
    const provider = await mes.child(center, 'JobResponseProvider');
    const events = await watchEvents(mes, center);
    const outsider = await connect(keys.elsewhere);
    const unseen = await watchEvents(outsider, center);
    const colleague = await connect(keys.operator);
    const alsoSeen = await watchEvents(colleague, center);

    const stored = await mes.call(receiver, 'Store', [await mes.jobOrder(bracketJob('JC-1', 301)), comment('')]);
    expect(stored.statusCode.name, stored.text).toBe('Good');
    expect(await order('JC-1')).toMatchObject({
      state: 'Draft',
      jobControlState: 'NotAllowedToStart',
      externalReference: 'opcua-job-control:JC-1',
      quantity: 120,
      snapshot: null,
    });

    const started = await mes.call(receiver, 'Start', [jobId('JC-1'), comment('')]);
    expect(started.statusCode.name, started.text).toBe('Good');
    const running = await order('JC-1');
    expect(running).toMatchObject({ state: 'InProgress', jobControlState: 'Running', snapshot: { version: 1 } });
    expect(running.assignments).toEqual(LINE_1_ASSIGNMENTS);

    const paused = await mes.call(receiver, 'Pause', [jobId('JC-1'), comment('coil change')]);
    expect(paused.statusCode.name, paused.text).toBe('Good');
    expect(await order('JC-1')).toMatchObject({
      state: 'Paused',
      jobControlState: 'Interrupted',
      stateReason: 'coil change',
    });

    const seen = await events.until((e) => e.jobOrderID === 'JC-1' && e.state === 'Interrupted');
    expect(seen.map((e) => e.state)).toEqual(expect.arrayContaining(['NotAllowedToStart', 'Running', 'Interrupted']));
    // Another key with Read at line 1 receives them too; one without, monitoring the same node, none.
    await alsoSeen.until((e) => e.state !== 'NotAllowedToStart');
    expect(unseen.seen).toEqual([]);
    await Promise.all([unseen.stop(), alsoSeen.stop()]);

    const response = await mes.call(provider, 'RequestJobResponseByJobOrderID', [jobId('JC-1')]);
    expect(response.statusCode.name, response.text).toBe('Good');
    const job = response.outputArguments![0].value;
    expect(job.jobOrderID).toBe('JC-1');
    expect(job.jobState[0]).toMatchObject({
      stateNumber: 4,
      stateText: expect.objectContaining({ text: 'Interrupted' }),
    });
    expect(job.startTime).toBeInstanceOf(Date);
    await events.stop();
  });

  it('refuses what the key may not do, or what the hub has no equivalent for, and changes nothing', async () => {
    const before = await tableCounts(hub);
    const operator = await connect(keys.operator);
    const receiver = await operator.child(await operator.workCenter(LINE_1), 'JobOrderReceiver');
    const noRole = await operator.call(receiver, 'Store', [
      await operator.jobOrder(bracketJob('JC-2', 302)),
      comment(''),
    ]);
    expect(noRole.statusCode.name, noRole.text).toBe('BadUserAccessDenied');

    // A key without Read at line 1 does not see its work center; called by node id (as the planner browsed it),
    // the hub answers as GraphQL does: out of scope reads like missing.
    const elsewhere = await connect(keys.elsewhere);
    await expect(elsewhere.workCenter(LINE_1)).rejects.toThrow(`no ${LINE_1} under`);
    const planner = await connect(keys.planner);
    const foreign = await planner.child(await planner.workCenter(LINE_1), 'JobOrderReceiver');
    const [store, resume] = [await planner.child(foreign, 'Store'), await planner.child(foreign, 'Resume')];
    const wrongScope = await elsewhere.call(foreign, store, [
      await elsewhere.jobOrder(bracketJob('JC-3', 303)),
      comment(''),
    ]);
    expect(await status(Promise.resolve(wrongScope))).toBe(
      `BadNotFound: equipment: no equipment "${LINE_1}" exists. Create it first or correct the reference.`,
    );
    expect(await status(elsewhere.call(foreign, resume, [jobId('JC-1'), comment('')]))).toMatch(/^BadNotFound: /);

    const mes = await connect(keys.planner);
    const receiver1 = await mes.child(await mes.workCenter(LINE_1), 'JobOrderReceiver');
    expect(await status(mes.call(receiver1, 'Stop', [jobId('JC-1'), comment('')]))).toMatch(/^BadNotSupported: /);
    expect(await status(mes.call(receiver1, 'Cancel', [jobId('JC-1'), comment('')]))).toMatch(/^BadInvalidState: /);
    const bad = await mes.call(receiver1, 'Store', [
      await mes.jobOrder({ ...bracketJob('JC-4', 304), priority: 3 }),
      comment(''),
    ]);
    expect(bad.statusCode.name, bad.text).toBe('BadNotSupported');

    expect(await tableCounts(hub)).toEqual(before);
    for (const n of ['JC-2', 'JC-3', 'JC-4']) expect(await order(n)).toBeNull();
    expect(await order('JC-1')).toMatchObject({ state: 'Paused' });
  });

  it('aborts a paused job and clears it off the receiver; StoreAndStart runs a job at once', async () => {
    const mes = await connect(keys.planner);
    const center = await mes.workCenter(LINE_1);
    const receiver = await mes.child(center, 'JobOrderReceiver');
    const provider = await mes.child(center, 'JobResponseProvider');
    expect(await status(mes.call(receiver, 'Abort', [jobId('JC-1'), comment('line down')]))).toBe('Good');
    expect(await order('JC-1')).toMatchObject({ state: 'Cancelled', jobControlState: 'Aborted' });
    expect(await status(mes.call(receiver, 'Clear', [jobId('JC-1'), comment('')]))).toBe('Good');
    expect(await status(mes.call(provider, 'RequestJobResponseByJobOrderID', [jobId('JC-1')]))).toBe(
      `BadNotFound: No job order JC-1 at ${LINE_1}.`,
    );

    const both = await mes.call(receiver, 'StoreAndStart', [await mes.jobOrder(bracketJob('JC-5', 305)), comment('')]);
    expect(both.statusCode.name, both.text).toBe('Good');
    expect(await order('JC-5')).toMatchObject({ state: 'InProgress', jobControlState: 'Running' });
    const running = await mes.call(provider, 'RequestJobResponseByJobOrderState', [
      { dataType: DataType.ExtensionObject, arrayType: 1, value: [await stateNumber(mes, 3)] },
    ]);
    expect(running.statusCode.name, running.text).toBe('Good');
    expect(running.outputArguments![0].value.map((r: { jobOrderID: string }) => r.jobOrderID)).toContain('JC-5');
  });

  it('stops a session whose key is revoked at its next call', async () => {
    const { createApiKey } = await hub.gql(
      `mutation { createApiKey(input: { name: "opcua-revoked", grants: [{ role: Supervisor, scope: "acme/berlin/assembly" }] }) {
        ... on CreatedApiKey { secret apiKey { id } } } }`,
    );
    const mes = await connect(createApiKey.secret);
    const provider = await mes.child(await mes.workCenter(LINE_1), 'JobResponseProvider');
    expect(await status(mes.call(provider, 'RequestJobResponseByJobOrderID', [jobId('JC-5')]))).toBe('Good');
    await hub.gql('mutation ($id: ID!) { revokeApiKey(id: $id) { __typename } }', { id: createApiKey.apiKey.id });
    // The replica forgets the key when the revocation's event comes; at the latest after the key cache (1 s).
    let after = '';
    for (let i = 0; i < 30 && !after.startsWith('Bad'); i++) {
      after = await status(mes.call(provider, 'RequestJobResponseByJobOrderID', [jobId('JC-5')]));
      if (!after.startsWith('Bad')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(after).toBe('BadUserAccessDenied: Sign in with a hub API key or a user certificate the hub trusts.');
  });
});

/** The status's name, with the server's text after it when refused (so a wrong refusal says why). */
async function status(result: Promise<{ statusCode: { name: string }; text: string }>) {
  const r = await result;
  return r.text && r.statusCode.name !== 'Good' ? `${r.statusCode.name}: ${r.text}` : r.statusCode.name;
}

async function stateNumber(client: JobControlClient, n: number) {
  const { NodeId, NodeIdType } = await import('node-opcua');
  return client.session.constructExtensionObject(new NodeId(NodeIdType.NUMERIC, 3006, client.ns), { stateNumber: n });
}

/** Monitors the work center's events; `until` waits (up to 10 s) for a matching one and returns all seen. */
async function watchEvents(client: JobControlClient, center: NodeId) {
  const subscription = ClientSubscription.create(client.session, {
    requestedPublishingInterval: 50,
    requestedMaxKeepAliveCount: 20,
    publishingEnabled: true,
  });
  const fields = ['EventType', 'Message', `${client.ns}:JobOrder`, `${client.ns}:JobState`];
  const item = ClientMonitoredItem.create(
    subscription,
    { nodeId: center, attributeId: AttributeIds.EventNotifier },
    { samplingInterval: 0, queueSize: 100, filter: constructEventFilter(fields) },
    TimestampsToReturn.Both,
  );
  const seen: { jobOrderID: string; state: string }[] = [];
  item.on('changed', (values: Variant[]) => {
    const jobOrder = values[2]?.value as { jobOrderID?: string } | null;
    const state = (values[3]?.value as { stateText?: { text?: string } }[] | null)?.[0]?.stateText?.text;
    // Every event counts, decoded or not (a session that never read the Job Control types gets them opaque).
    seen.push({ jobOrderID: jobOrder?.jobOrderID ?? '?', state: state ?? '?' });
  });
  return {
    async until(match: (e: { jobOrderID: string; state: string }) => boolean) {
      for (let i = 0; i < 100 && !seen.some(match); i++) await new Promise((r) => setTimeout(r, 100));
      expect(seen.some(match), `events seen: ${JSON.stringify(seen)}`).toBe(true);
      return seen;
    },
    seen,
    stop: () => subscription.terminate(),
  };
}
