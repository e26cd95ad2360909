// The MaintainX connector as the hub's connector host runs it: maintenance and calibration work orders
// in (pushed by MaintainX's signed webhooks, polled by `updatedAt` as the safety net) as equipment
// conditions that hold the interlock, and out: breakdowns and alerts of chosen rules as work requests,
// run ends as meter readings, each keyed so retries and replays leave one. It acts through the hub's
// GraphQL as its own principal, with the grants given to it.

import {
  defineConnector,
  type ConnectorContext,
  type OutboundDelivery,
  type SettingsIssue,
  UNKNOWN_OUTCOME_WAIT_SETTING,
  unknownOutcomeWaitMs,
} from '@plantgraph/connector-sdk';
import { MaintainXClient } from './client.js';
import { pollWorkOrders } from './conditions.js';
import { type CmmsMapping, MappedAssets, validateMapping } from './mapping.js';
import { deliverStateChange } from './state-changes.js';
import { importById, webhookEndpoint } from './webhooks.js';
import { alertToWorkRequest } from './work-requests.js';

export const maintainXConnector = defineConnector({
  type: 'cmms-maintainx',
  title: 'MaintainX CMMS (maintenance and calibration in as interlocks; work requests and meters out)',
  settings: {
    baseUrl: {
      type: 'string',
      default: 'https://api.getmaintainx.com/v1',
      description: "MaintainX's REST API root, with /v1",
      pattern: { regex: /^https?:\/\/[^\s/]+(\/.*)?$/, means: 'an http(s) URL' },
    },
    apiKey: { type: 'string', secret: true, required: true, description: 'MaintainX API key (bearer)' },
    webhookSecret: {
      type: 'string',
      secret: true,
      description: 'Secret of the MaintainX webhook that calls POST /connectors/<name>/webhook (unset: refused)',
    },
    organizationId: {
      type: 'string',
      description: 'For a key of several organisations: the x-organization-id to act in',
      pattern: { regex: /^\d+$/, means: 'a number' },
    },
    timeoutMs: { type: 'number', default: 15_000, min: 1000, max: 120_000, description: 'Per request, in ms' },
    unknownOutcomeWaitMs: UNKNOWN_OUTCOME_WAIT_SETTING,
    pollIntervalMs: {
      type: 'number',
      default: 5000,
      min: 0,
      max: 3_600_000,
      description: 'How often work orders are polled, in ms (how soon a new one blocks); 0: on demand only',
    },
    pageSize: { type: 'number', default: 100, min: 1, max: 100, description: 'Work orders per poll page' },
    breakdownMinutes: {
      type: 'number',
      default: 15,
      min: 0,
      max: 10_080,
      description: 'A Down at least this long becomes a work request when it ends; 0: none',
    },
    breakdownCategory: {
      type: 'string',
      default: 'Breakdown',
      description: 'MaintainX category of the work requests the hub sends',
    },
    alertRules: {
      type: 'json',
      description: 'Deduplication keys of alert rules whose alerts become work requests, e.g. ["down-too-long"]',
    },
    alertUrlTemplate: {
      type: 'string',
      description: 'Link to an alert in your hub UI, {id} replaced by the alert id',
      pattern: { regex: /\{id\}/, means: 'a URL with {id}' },
    },
    meterMinIntervalMinutes: {
      type: 'number',
      default: 60,
      min: 0,
      max: 10_080,
      description: 'A meter read more recently is not read again at the next run end; 0: every run end',
    },
    mapping: { type: 'json', required: true, description: 'Assets, meters and statuses (see the package README)' },
  },
  validate(settings): SettingsIssue[] {
    const issues: SettingsIssue[] = [];
    const result = validateMapping(settings.mapping);
    if (!result.ok) issues.push(...result.issues.map((i) => ({ field: `mapping.${i.path}`, message: i.message })));
    const rules = settings.alertRules ?? [];
    if (!Array.isArray(rules) || rules.some((r) => typeof r !== 'string' || !r))
      issues.push({
        field: 'alertRules',
        message: 'must be a list of alert deduplication keys, e.g. ["down-too-long"]',
      });
    return issues;
  },
  create(context: ConnectorContext) {
    const s = context.settings;
    const mapping = validateMapping(s.mapping);
    if (!mapping.ok) throw new Error(`mapping: ${mapping.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`);
    const assets = new MappedAssets(mapping.mapping as CmmsMapping);
    const client = new MaintainXClient({
      baseUrl: (s.baseUrl as string) ?? 'https://api.getmaintainx.com/v1',
      apiKey: s.apiKey as string,
      timeoutMs: s.timeoutMs as number,
      organizationId: s.organizationId as string | undefined,
    });
    const outbound = {
      breakdownCategory: s.breakdownCategory as string,
      alertUrlTemplate: s.alertUrlTemplate as string | undefined,
      breakdownMinutes: s.breakdownMinutes as number,
      meterMinIntervalMinutes: s.meterMinIntervalMinutes as number,
      alertRules: (s.alertRules as string[] | undefined) ?? [],
    };
    return {
      testConnection: () => client.testConnection(),
      pollIntervalMs: s.pollIntervalMs as number,
      outboundConcurrency: 2,
      unknownOutcomeWaitMs: unknownOutcomeWaitMs(s),
      inbound: {
        workOrders: {
          description: 'MaintainX work orders on mapped assets hold (and, closed, clear) the equipment condition',
          poll: (cursor: string | null) => pollWorkOrders(client, context.hub, assets, cursor, s.pageSize as number),
          importOne: async (reference: string) => {
            const id = Number(reference);
            const { order: page, outcome } = Number.isInteger(id)
              ? await importById(client, context.hub, assets, id)
              : { order: null, outcome: null };
            return (
              outcome ?? {
                reference,
                outcome: 'Rejected' as const,
                reasons: [
                  {
                    code: page ? 'UnmappedAsset' : 'UnknownWorkOrder',
                    field: page ? 'assetId' : 'id',
                    value: page ? String(page.assetId) : reference,
                    message: page
                      ? `Work order ${reference} is not on a mapped asset (or is the hub's own request)`
                      : `MaintainX has no work order ${reference}`,
                  },
                ],
              }
            );
          },
        },
      },
      endpoints: {
        webhook: webhookEndpoint(client, context.hub, assets, s.webhookSecret as string | undefined),
      },
      outbound: {
        EquipmentStateChanged: {
          description: 'A long breakdown becomes a work request; a run end, meter readings (runtime hours, cycles)',
          deliver: (d: OutboundDelivery) =>
            deliverStateChange(client, context.hub, outbound, assets.equipment(d.event.path), d),
        },
        AlertRaised: {
          description: 'An alert of a chosen rule (alertRules) becomes a work request with its link',
          deliver: (d: OutboundDelivery) =>
            alertToWorkRequest(client, context.hub, outbound, assets.equipment(d.event.path), d),
        },
      },
    };
  },
});
