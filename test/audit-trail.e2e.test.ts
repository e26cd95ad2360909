import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODES, startTestHub, type TestHub } from './support/harness.js';
import { HUB_START_TIMEOUT_MS } from './support/timeouts.js';

describe.each(MODES)('audit trail (%s)', (mode) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(mode, { demo: true, simulatorIntervalMs: 0 });
  }, HUB_START_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.stop();
  });
  const sql = (text: string) => hub.db.em.fork().execute(text);

  it('chains every record, also when mutations run concurrently', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        hub.gql(`mutation { createEquipmentClass(input: { code: "concurrent-${i}" }) { __typename } }`),
      ),
    );
    const { verifyAuditChain } = await hub.gql('{ verifyAuditChain { valid checked firstBrokenId } }');
    const [{ n }] = await sql('select count(*)::int as n from audit_record');
    expect(verifyAuditChain).toEqual({ valid: true, checked: n, firstBrokenId: null });
    expect(n).toBeGreaterThan(60);
  });

  it('shows who changed a record, when, from what to what', async () => {
    const { equipment } = await hub.gql('{ equipment(path: "acme/berlin/assembly/line-2") { id } }');
    await hub.gql(
      'mutation { updateEquipment(path: "acme/berlin/assembly/line-2", input: { name: "Bracket line two" }) { __typename } }',
    );
    const { auditTrail } = await hub.gql(
      `query ($id: String!) { auditTrail(entityType: "Equipment", entityId: $id) { totalCount edges { node { actor action before after hash previousHash } } } }`,
      { id: equipment.id },
    );
    expect(auditTrail.totalCount).toBe(2);
    const [created, renamed] = auditTrail.edges.map((e: any) => e.node);
    expect(created).toMatchObject({ actor: 'system:demo-seed', action: 'EquipmentCreated', before: null });
    expect(renamed).toMatchObject({
      actor: 'api-key:local-admin',
      action: 'EquipmentUpdated',
      before: { name: 'Bracket line 2' },
      after: { name: 'Bracket line two' },
    });
    expect(renamed.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is refused by the database itself to update, delete or truncate', async () => {
    await expect(sql("update audit_record set actor = 'someone-else'")).rejects.toThrow(
      /append-only: UPDATE is not allowed/,
    );
    await expect(sql('delete from audit_record')).rejects.toThrow(/append-only: DELETE is not allowed/);
    await expect(sql('truncate audit_record')).rejects.toThrow(/append-only: TRUNCATE is not allowed/);
  });

  it('names the first broken link when someone with database superpowers edits history', async () => {
    const [victim] = await sql("select id from audit_record where action = 'MaterialLotCreated' order by id limit 1");
    await sql('alter table audit_record disable trigger audit_record_append_only');
    await sql(`update audit_record set after = jsonb_set(after, '{quantity}', '99999') where id = ${victim.id}`);
    await sql('alter table audit_record enable trigger audit_record_append_only');
    const { verifyAuditChain } = await hub.gql('{ verifyAuditChain { valid firstBrokenId problem } }');
    expect(verifyAuditChain).toEqual({
      valid: false,
      firstBrokenId: String(victim.id),
      problem: `record ${victim.id} was changed after it was written (its content no longer matches its hash).`,
    });
  });
});
