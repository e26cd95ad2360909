// A QMS connector over a neutral REST API (the package README documents it): deviations the hub opens go
// out as nonconformance records, keyed so that retries and replays leave one; their status, closure and
// CAPA come back onto the deviation; lot holds and releases decided in the QMS come in as the quality
// unit's own lot disposition. It acts through the hub's GraphQL as its own principal, with its grants.

import {
  defineConnector,
  type ConnectorContext,
  type OutboundDelivery,
  type SettingsIssue,
  UNKNOWN_OUTCOME_WAIT_SETTING,
  unknownOutcomeWaitMs,
} from '@plantgraph/connector-sdk';
import { QmsClient } from './client.js';
import { deliverDeviation } from './deviations.js';
import { importDisposition, importNonconformance, pollQms } from './records.js';

/** The deviation kinds sent by default: all but corrections of recorded data, which are not about product. */
export const DEFAULT_KINDS = [
  'OutOfTolerance',
  'YieldOutOfBracket',
  'Material',
  'Equipment',
  'Procedure',
  'Environment',
  'Other',
];
const ALL_KINDS = [...DEFAULT_KINDS, 'Correction'];

export const qmsRestConnector = defineConnector({
  type: 'qms-rest',
  title: 'QMS over REST (deviations out as nonconformances; closure, CAPA and lot dispositions back)',
  settings: {
    baseUrl: {
      type: 'string',
      required: true,
      description:
        "The QMS's REST root of the PlantGraph QMS profile, with its version, e.g. https://qms.example.com/api/v1",
      pattern: { regex: /^https?:\/\/[^\s/]+(\/.*)?$/, means: 'an http(s) URL' },
    },
    apiKey: { type: 'string', secret: true, required: true, description: 'QMS API key (bearer)' },
    timeoutMs: { type: 'number', default: 15_000, min: 1000, max: 120_000, description: 'Per request, in ms' },
    unknownOutcomeWaitMs: UNKNOWN_OUTCOME_WAIT_SETTING,
    pollIntervalMs: {
      type: 'number',
      default: 5000,
      min: 0,
      max: 3_600_000,
      description: 'How often nonconformances and lot dispositions are polled, in ms; 0: on demand only',
    },
    pageSize: { type: 'number', default: 100, min: 1, max: 500, description: 'Records per poll page and list' },
    deviationKinds: {
      type: 'json',
      description: `Deviation kinds sent as nonconformances (default all but Correction), of ${ALL_KINDS.join(', ')}`,
    },
    linkTemplate: {
      type: 'string',
      description: 'Link to a deviation in your hub UI, {id} replaced by the deviation id',
      pattern: { regex: /\{id\}/, means: 'a URL with {id}' },
    },
  },
  validate(settings): SettingsIssue[] {
    const kinds = settings.deviationKinds ?? DEFAULT_KINDS;
    if (!Array.isArray(kinds) || !kinds.length || kinds.some((k) => !ALL_KINDS.includes(k as string)))
      return [{ field: 'deviationKinds', message: `must be a non-empty list of ${ALL_KINDS.join(', ')}` }];
    return [];
  },
  create(context: ConnectorContext) {
    const s = context.settings;
    const client = new QmsClient({
      baseUrl: s.baseUrl as string,
      apiKey: s.apiKey as string,
      timeoutMs: s.timeoutMs as number,
    });
    const deviations = {
      kinds: (s.deviationKinds as string[] | undefined) ?? DEFAULT_KINDS,
      linkTemplate: s.linkTemplate as string | undefined,
    };
    return {
      testConnection: () => client.testConnection(),
      pollIntervalMs: s.pollIntervalMs as number,
      outboundConcurrency: 2,
      unknownOutcomeWaitMs: unknownOutcomeWaitMs(s),
      inbound: {
        qualityDecisions: {
          description:
            'Nonconformance status, closure and CAPA onto their deviations; lot dispositions as lot status changes',
          poll: (cursor: string | null) => pollQms(client, context.hub, cursor, s.pageSize as number),
          importOne: (reference: string) => importOne(client, context, reference),
        },
      },
      outbound: {
        DeviationOpened: {
          description: 'A deviation (out of tolerance, yield, a raised nonconformance) becomes a nonconformance record',
          deliver: (d: OutboundDelivery) => deliverDeviation(client, context.hub, deviations, d),
        },
      },
    };
  },
});

/** `nonconformance:<id>` or `disposition:<id>`, read from the QMS and imported again. */
async function importOne(client: QmsClient, context: ConnectorContext, reference: string) {
  const [kind, id = ''] = reference.split(/:(.*)/s);
  const missing = (field: string, message: string) => ({
    reference,
    outcome: 'Rejected' as const,
    reasons: [{ code: 'UnknownRecord', field, value: reference, message }],
  });
  if (kind === 'disposition') {
    const disposition = await client.getDisposition(id);
    return disposition
      ? importDisposition(context.hub, disposition)
      : missing('id', `The QMS has no lot disposition ${id}`);
  }
  if (kind === 'nonconformance') {
    const nc = await client.getNonconformance(id);
    if (!nc) return missing('id', `The QMS has no nonconformance ${id}`);
    return (
      (await importNonconformance(context.hub, nc)) ??
      missing('source', `Nonconformance ${nc.number} was not raised from the hub`)
    );
  }
  return missing('reference', 'name a record as nonconformance:<id> or disposition:<id>');
}
