// The andon board: each line of the scope with its machines as tiles coloured by state, open alerts
// on top. Live by subscriptions; after a break in the socket (a hub restart) everything is read again.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { gql, onReconnect, refusal, subscribe } from './api.js';
import type {
  AcknowledgeMutation,
  AndonAlertRaisedSubscription,
  AndonAlertsQuery,
  AndonBoardQuery,
  AndonOrdersSubscription,
  AndonStatesSubscription,
} from './generated/operations.js';
import { duration, useNow } from './format.js';

type Machine = {
  path: string;
  name: string;
  level: string;
  state: string;
  stateReason: string | null;
  stateSince: string;
  parent: { path: string } | null;
};
type Alert = {
  id: string;
  path: string;
  severity: string;
  title: string;
  description: string | null;
  escalationLevel: number;
  occurrences: number;
  raisedAt: string;
};
type Order = {
  number: string;
  state: string;
  quantity: number;
  unitOfMeasure: string;
  equipment: { path: string };
  counts: { goodQuantity: number; scrapQuantity: number };
  currentStep: { name: string } | null;
};

const BOARD = /* GraphQL */ `query AndonBoard($scope: String!) {
  equipmentList(first: 500, filter: { pathPrefix: $scope, level: [ProductionLine, WorkCell] }) {
    edges { node { path name level state stateReason stateSince parent { path } } }
  }
  workOrders(first: 100, filter: { equipmentPrefix: $scope, state: [Released, InProgress, Paused] }) {
    edges { node { number state quantity unitOfMeasure equipment { path } counts { goodQuantity scrapQuantity }
      currentStep { name } } }
  }
}`;
const ALERTS = /* GraphQL */ `query AndonAlerts($scope: String!) {
  alerts(first: 50, filter: { pathPrefix: $scope, state: [Active] }) {
    edges { node { id path severity title description escalationLevel occurrences raisedAt } }
  }
}`;
const SEVERITY_RANK: Record<string, number> = { Critical: 0, High: 1, Medium: 2, Low: 3, Info: 4 };

export function Andon({ scope }: { scope: string }) {
  const [machines, setMachines] = useState<Machine[]>([]);
  const [orders, setOrders] = useState<Order[]>([]);
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [error, setError] = useState('');
  const now = useNow();

  const readBoard = useCallback(() => {
    gql<AndonBoardQuery>(BOARD, { scope })
      .then((d) => {
        setMachines(d.equipmentList.edges.map((e) => e.node));
        setOrders(d.workOrders.edges.map((e) => e.node));
        setError('');
      })
      .catch((e: Error) => setError(e.message));
  }, [scope]);
  const readAlerts = useCallback(() => {
    gql<AndonAlertsQuery>(ALERTS, { scope })
      .then((d) =>
        setAlerts(
          d.alerts.edges
            .map((e) => e.node)
            .sort((a, b) => (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9)),
        ),
      )
      .catch((e: Error) => setError(e.message));
  }, [scope]);

  useEffect(() => {
    readBoard();
    readAlerts();
    const stops = [
      subscribe<AndonStatesSubscription>(
        /* GraphQL */ `subscription AndonStates($scope: String!) {
          equipmentStateChanged(scope: $scope) { path state reason at applied }
        }`,
        { scope },
        ({ equipmentStateChanged: change }) => {
          if (!change.applied) return; // a late report: history, not the current state
          setMachines((all) =>
            all.map((m) =>
              m.path === change.path
                ? { ...m, state: change.state, stateReason: change.reason, stateSince: change.at }
                : m,
            ),
          );
        },
      ),
      subscribe<AndonAlertRaisedSubscription>(
        /* GraphQL */ `subscription AndonAlertRaised($scope: String!) { alertRaised(scope: $scope) { id state } }`,
        { scope },
        readAlerts,
      ),
      subscribe<AndonOrdersSubscription>(
        /* GraphQL */ `subscription AndonOrders($scope: String!) { workOrderChanged(scope: $scope) { number } }`,
        { scope },
        readBoard,
      ),
      onReconnect(() => {
        readBoard();
        readAlerts();
      }),
    ];
    // Counts move without an order event: the progress is read again each half minute.
    const timer = setInterval(readBoard, 30_000);
    return () => {
      clearInterval(timer);
      for (const stop of stops) stop();
    };
  }, [readBoard, readAlerts, scope]);

  const lines = machines.filter((m) => m.level === 'ProductionLine');
  return (
    <section aria-labelledby="andon-title" class="andon">
      <h1 id="andon-title">Andon · {scope}</h1>
      {error && (
        <p role="alert" class="refusal">
          {error}
        </p>
      )}
      <section aria-label="Open alerts" class="alerts">
        {alerts.length === 0 ? (
          <p class="quiet">No open alerts.</p>
        ) : (
          alerts.map((a) => <AlertRow key={a.id} alert={a} now={now} onDone={readAlerts} />)
        )}
      </section>
      {lines.length === 0 && !error && <p class="quiet">No production lines under {scope}.</p>}
      {lines.map((line) => {
        const running = orders.filter(
          (o) => o.equipment.path === line.path || o.equipment.path.startsWith(`${line.path}/`),
        );
        return (
          <section key={line.path} class="line" aria-label={line.name}>
            <h2>
              {line.name} <small>{line.path}</small>
            </h2>
            <div class="orders">
              {running.length === 0 && <span class="quiet">No order running.</span>}
              {running.map((o) => (
                <OrderProgress key={o.number} order={o} />
              ))}
            </div>
            <ul class="tiles">
              {machines
                .filter((m) => m.parent?.path === line.path)
                .map((m) => (
                  <li key={m.path} class={`tile state-${m.state}`} data-path={m.path} data-state={m.state}>
                    <span class="name">{m.name}</span>
                    <span class="state">{m.state}</span>
                    <span class="since">{duration(now - Date.parse(m.stateSince))}</span>
                    {m.stateReason && <span class="reason">{m.stateReason}</span>}
                  </li>
                ))}
            </ul>
          </section>
        );
      })}
    </section>
  );
}

function OrderProgress({ order }: { order: Order }) {
  const done = Math.min(1, order.counts.goodQuantity / (order.quantity || 1));
  return (
    <div class="order">
      <a href={`#/orders?order=${encodeURIComponent(order.number)}`}>{order.number}</a> {order.state}
      {order.currentStep && <> · {order.currentStep.name}</>}
      <progress max={1} value={done} aria-label={`${order.number} progress`} />
      <span>
        {order.counts.goodQuantity} / {order.quantity} {order.unitOfMeasure}
      </span>
    </div>
  );
}

function AlertRow({ alert, now, onDone }: { alert: Alert; now: number; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [message, setMessage] = useState('');
  const acknowledge = async (event: Event) => {
    event.preventDefault();
    const comment = String(new FormData(event.currentTarget as HTMLFormElement).get('comment') ?? '').trim();
    if (!comment) return setMessage('Say what is being done about it.');
    try {
      const { acknowledgeAlert: result } = await gql<AcknowledgeMutation>(
        /* GraphQL */ `mutation Acknowledge($id: ID!, $comment: String!) {
          acknowledgeAlert(id: $id, comment: $comment) {
            __typename ... on ErrorResult { code message } ... on InvalidInput { field }
          }
        }`,
        { id: alert.id, comment },
      );
      const refused = refusal(result);
      if (refused) return setMessage(refused);
      setOpen(false);
      onDone();
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  return (
    <article
      class={`alert severity-${alert.severity}`}
      data-alert={alert.id}
      aria-label={`${alert.severity} alert: ${alert.title}`}
    >
      <strong>{alert.severity}</strong>
      <span class="title">{alert.title}</span>
      <span>{alert.path}</span>
      <span>
        level {alert.escalationLevel} · ×{alert.occurrences} · {duration(now - Date.parse(alert.raisedAt))}
      </span>
      {!open ? (
        <button type="button" onClick={() => setOpen(true)}>
          Acknowledge
        </button>
      ) : (
        <form onSubmit={acknowledge} class="ack">
          <label>
            Comment
            <input name="comment" required />
          </label>
          <button type="submit">Confirm</button>
          <button type="button" onClick={() => setOpen(false)}>
            Cancel
          </button>
        </form>
      )}
      {message && (
        <span role="alert" class="refusal">
          {message}
        </span>
      )}
    </article>
  );
}
