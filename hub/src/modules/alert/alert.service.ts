import type { FilterQuery } from '@mikro-orm/core';
import {
  Alert,
  type AlertFilter,
  AlertSeverity,
  AlertState,
  Equipment,
  Permission,
  type RaiseAlertInput,
  SEVERITY_RANK,
} from '@plantgraph/schema';
import type { Tx } from '../../infrastructure/database/database.js';
import type { Principal } from '../../core/principal.js';
import { pathsVisible, requireAt } from '../../core/visibility.js';
import { paginate, type PageRequest } from '../../core/paging.js';
import { checkKey, checkText, isUuid, underPathOf } from '../../core/keys.js';
import { scopedSubscription, type StreamOptions } from '../../core/scoped-subscription.js';
import type { EventSource } from '../../core/event-feed.js';
import { snapshot, type UnitOfWork, type Work } from '../../core/unit-of-work.js';
import { fail, invalidInput, isFailure, notFound } from '../../core/failures.js';
import { startPeriodic } from '../../core/periodic.js';

export interface AlertEvent {
  type: string;
  id: string;
  path: string;
  severity: AlertSeverity;
  title: string;
  state: AlertState;
  escalationLevel: number;
  occurrences: number;
  at: string;
  actor: string;
}

/** Alerts: raised (de-duplicated), acknowledged with a comment, cleared, escalated when ignored. */
export class AlertService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly events: EventSource,
    private readonly escalateAfterSeconds: number,
  ) {}

  list(em: Tx, principal: Principal, filter: AlertFilter | null | undefined, page: PageRequest) {
    const where: FilterQuery<Alert>[] = [pathsVisible(principal)];
    if (filter?.pathPrefix) where.push(underPathOf(filter.pathPrefix));
    if (filter?.state?.length) where.push({ state: { $in: filter.state } });
    if (filter?.minSeverity)
      where.push({
        severity: {
          $in: Object.values(AlertSeverity).filter((s) => SEVERITY_RANK[s] >= SEVERITY_RANK[filter.minSeverity!]),
        },
      });
    return paginate(em, Alert, { $and: where }, page, 'raisedAt', 'desc');
  }

  get(em: Tx, principal: Principal, id: string) {
    return isUuid(id) ? em.findOne(Alert, { $and: [{ id }, pathsVisible(principal)] }) : null;
  }

  /** Raises an alert, or counts another occurrence of the open one with the same key. */
  raise(principal: Principal, input: RaiseAlertInput) {
    return this.uow.run(principal.name, async (work) => {
      const { tx } = work;
      checkKey('deduplicationKey', input.deduplicationKey);
      checkText('title', input.title);
      if (input.escalateAfterSeconds != null && !(input.escalateAfterSeconds >= 1))
        fail(invalidInput('escalateAfterSeconds', 'must be at least 1.'));
      const equipment = (await tx.findOne(Equipment, { path: input.path })) ?? fail(notFound('equipment', input.path));
      requireAt(principal, Permission.RaiseAlerts, equipment.path, () => notFound('equipment', input.path));
      // A key lives within the alert's equipment path: the same key elsewhere is another condition,
      // and matching across paths would let a caller touch (and read) alerts outside its scopes.
      // The advisory lock makes concurrent raises of one key at one path agree on a single open alert.
      await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [
        `alert:${equipment.path}:${input.deduplicationKey}`,
      ]);
      const now = new Date();
      const open = await tx.findOne(Alert, {
        path: equipment.path,
        deduplicationKey: input.deduplicationKey,
        state: { $ne: AlertState.Cleared },
      });
      if (open) {
        const before = snapshot(open);
        open.occurrences += 1;
        open.lastRaisedAt = now;
        if (SEVERITY_RANK[input.severity] > SEVERITY_RANK[open.severity]) open.severity = input.severity;
        work.audit('AlertRaisedAgain', open, before);
        return open;
      }
      const escalateAfterSeconds = input.escalateAfterSeconds ?? this.escalateAfterSeconds;
      const alert = tx.create(Alert, {
        equipment,
        path: equipment.path,
        deduplicationKey: input.deduplicationKey,
        severity: input.severity,
        title: input.title.trim(),
        description: input.description ?? null,
        raisedBy: work.actor,
        raisedAt: now,
        lastRaisedAt: now,
        escalateAfterSeconds,
        nextEscalationAt: new Date(now.getTime() + escalateAfterSeconds * 1000),
      });
      this.changed(work, 'AlertRaised', alert);
      return alert;
    });
  }

  acknowledge(principal: Principal, id: string, comment: string) {
    return this.uow.run(principal.name, async (work) => {
      checkText('comment', comment, 2000);
      const alert = await this.find(work.tx, principal, id, Permission.AcknowledgeAlerts);
      if (alert.state !== AlertState.Active)
        fail(invalidInput('id', `the alert is ${alert.state}; only an Active alert can be acknowledged.`));
      const before = snapshot(alert);
      Object.assign(alert, {
        state: AlertState.Acknowledged,
        acknowledgedBy: work.actor,
        acknowledgedAt: new Date(),
        acknowledgeComment: comment,
        nextEscalationAt: null,
      });
      this.changed(work, 'AlertAcknowledged', alert, before, comment);
      return alert;
    });
  }

  clear(principal: Principal, id: string, comment: string | null | undefined) {
    return this.uow.run(principal.name, async (work) => {
      const alert = await this.find(work.tx, principal, id, Permission.RaiseAlerts);
      if (alert.state === AlertState.Cleared) fail(invalidInput('id', 'the alert is already cleared.'));
      const before = snapshot(alert);
      Object.assign(alert, {
        state: AlertState.Cleared,
        clearedBy: work.actor,
        clearedAt: new Date(),
        nextEscalationAt: null,
      });
      this.changed(work, 'AlertCleared', alert, before, comment ?? null);
      return alert;
    });
  }

  /**
   * Raises the level of every Active alert whose time is up, in one statement: with several hub
   * replicas each alert still escalates exactly once per period.
   */
  async escalateDue(): Promise<number> {
    const escalated = await this.uow.run('system:alert-escalation', async (work) => {
      const rows = await work.tx.execute<{ id: string }[]>(`update alert set escalation_level = escalation_level + 1,
          next_escalation_at = next_escalation_at + escalate_after_seconds * interval '1 second', updated_at = now()
        where state = 'Active' and next_escalation_at <= now() returning id`);
      if (!rows.length) return 0;
      const alerts = await work.tx.find(Alert, { id: { $in: rows.map((r) => r.id) } });
      for (const alert of alerts) this.changed(work, 'AlertEscalated', alert, null);
      return alerts.length;
    });
    return isFailure(escalated) ? 0 : escalated;
  }

  /** New and escalated alerts at `scope` and below, of at least `minSeverity`. */
  subscribeRaised(principal: Principal, scope: string, minSeverity: AlertSeverity, stream: StreamOptions = {}) {
    return scopedSubscription<AlertEvent, Omit<AlertEvent, 'at'> & { at: Date }>(this.events, principal, scope, {
      patterns: (s) => this.events.subjects.alertChangedScope(s),
      what: 'alerts',
      stream,
      accept: (e) =>
        (e.type === 'AlertRaised' || e.type === 'AlertEscalated') &&
        SEVERITY_RANK[e.severity] >= SEVERITY_RANK[minSeverity],
      toValue: (e) => ({ ...e, at: new Date(e.at) }),
    });
  }

  private async find(tx: Tx, principal: Principal, id: string, permission: Permission): Promise<Alert> {
    const hidden = () => notFound('alert', id);
    const alert = (isUuid(id) ? await tx.findOne(Alert, { id }) : null) ?? fail(hidden());
    requireAt(principal, permission, alert.path, hidden);
    return alert;
  }

  private changed(work: Work, type: string, alert: Alert, before?: unknown, reason?: string | null): void {
    work.audit(type, alert, before, reason);
    work.emit({
      subject: this.events.subjects.alertChanged(alert.path),
      type,
      data: () => ({ ...eventOf(type, alert, work.actor) }),
    });
  }
}

function eventOf(type: string, a: Alert, actor: string): AlertEvent {
  return {
    type,
    id: a.id,
    path: a.path,
    severity: a.severity,
    title: a.title,
    state: a.state,
    escalationLevel: a.escalationLevel,
    occurrences: a.occurrences,
    at: new Date().toISOString(),
    actor,
  };
}

/** Starts the escalation timer; returns its stop function. */
export function startAlertEscalation(alerts: AlertService, everyMs: number): { stop(): Promise<void> } {
  return startPeriodic('[alerts] escalation', everyMs, () => alerts.escalateDue());
}
