/**
 * A heartbeat integration (`incidentctl integration add --kind heartbeat`): a cron job, a backup, a
 * batch pings its secret URL; this workflow waits on a durable timer of its interval plus grace, reset
 * by each ping. Silence opens one incident for the integration's service (its team is paged); the next
 * ping clears that incident's alert, which resolves it where the policy resolves cleared alerts (P3 by
 * default). No polling loop: a worker restart changes nothing.
 */
import { allHandlersFinished, condition, continueAsNew, getExternalWorkflowHandle, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  alertsSignal,
  heartbeatPingSignal,
  heartbeatStopSignal,
  type AlertRef,
  type HeartbeatInput,
  type IncidentInput,
} from '../contract';
import { formatDuration } from '../policy/duration';
import { nowIso } from './clock';
import { startIncidentChild } from './child-incident';

/** Pings handled per run before continue-as-new (each is a signal and a workflow task in history). */
const PINGS_PER_RUN = 500;

export async function heartbeatWorkflow(input: HeartbeatInput): Promise<string> {
  let pings = 0;
  let settings = input.settings;
  let stoppedBy: string | undefined;
  setHandler(heartbeatPingSignal, (ping) => {
    pings++;
    settings = ping.settings;
  });
  setHandler(heartbeatStopSignal, ({ by }) => void (stoppedBy ??= by));
  let silent = input.silentIncident;
  let silences = input.silences ?? 0;
  const from = `integration ${input.name}`;
  const alert = (status: AlertRef['status']): AlertRef => ({
    fingerprint: `${workflowInfo().workflowId}-silence-${silences}`,
    name: `${input.name} heartbeat missing`,
    status,
    labels: { integration: input.name, service: input.service },
  });

  while (!stoppedBy && pings < PINGS_PER_RUN && !workflowInfo().continueAsNewSuggested) {
    const seen = pings;
    const windowMs = (settings.everySeconds + settings.graceSeconds) * 1000;
    const woken = await condition(() => pings !== seen || stoppedBy !== undefined, windowMs);
    // A ping that came with the stop still counts: it clears the silence before the watch ends.
    const pinged = pings !== seen;
    if (!woken && !silent) {
      silences++;
      silent = `${workflowInfo().workflowId}-silence-${silences}`;
      const title = `${input.name}: no heartbeat for ${formatDuration(windowMs)}`;
      const incident: IncidentInput = {
        title,
        severity: settings.severity,
        service: input.service,
        source: 'integration',
        declaredBy: from,
        alerts: [alert('firing')],
      };
      await startIncidentChild(silent, incident);
    } else if (pinged && silent) {
      // The heartbeat is back: the silence's alert clears (an incident already resolved ignores it).
      await getExternalWorkflowHandle(silent)
        .signal(alertsSignal, {
          alerts: [alert('resolved')],
          truncatedAlerts: 0,
          notes: [`${input.name} is pinging again`],
          receivedAt: nowIso(),
          groupStatus: 'resolved',
          from,
        })
        .catch(() => undefined);
      silent = undefined;
    }
    if (stoppedBy) break;
  }
  await condition(allHandlersFinished);
  if (stoppedBy) return `stopped: the integration was removed by ${stoppedBy}`;
  return continueAsNew<typeof heartbeatWorkflow>({ ...input, settings, silentIncident: silent, silences });
}
