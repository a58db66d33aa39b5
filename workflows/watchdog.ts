/**
 * The monitoring pipeline's heartbeat: Alertmanager's always-firing Watchdog alert arrives here (the
 * webhook signals it in) instead of opening an incident. When no beat arrives for `silentAfterMs`, it
 * opens one incident, "monitoring pipeline is silent", which pages the on-call person like any other;
 * when the Watchdog is back, that incident's alert clears, and it resolves itself (policy autoResolve).
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { alertsSignal, watchdogBeatSignal, type AlertRef, type IncidentInput, type WatchdogInput } from '../contract';
import { nowIso } from './clock';
import { startIncidentChild } from './child-incident';

/** Beats handled per run before continue-as-new (each is a signal and a workflow task in history). */
const BEATS_PER_RUN = 500;

export async function watchdogWorkflow(input: WatchdogInput): Promise<void> {
  let beats = 0;
  setHandler(watchdogBeatSignal, () => void beats++);
  let silent = input.silentIncident;
  const alert = (status: AlertRef['status']): AlertRef => ({
    fingerprint: `watchdog-silent-${silent ?? ''}`,
    name: `${input.alertname} silent`,
    status,
    labels: { alertname: `${input.alertname}Silent` },
  });

  while (beats < BEATS_PER_RUN && !workflowInfo().continueAsNewSuggested) {
    const seen = beats;
    const beat = await condition(() => beats !== seen, input.silentAfterMs);
    if (!beat && !silent) {
      silent = `monitoring-silent-${uuid4()}`;
      const title = `Monitoring pipeline is silent: no ${input.alertname} alert for ${Math.round(input.silentAfterMs / 1000)} s`;
      const incident: IncidentInput = {
        title,
        severity: input.severity,
        service: 'monitoring',
        source: 'alertmanager',
        declaredBy: 'watchdog',
        alerts: [alert('firing')],
      };
      await startIncidentChild(silent, incident);
    } else if (beat && silent) {
      // The heartbeat is back: the silence's alert clears (an incident already resolved ignores it).
      const cleared = alert('resolved');
      await getExternalWorkflowHandle(silent)
        .signal(alertsSignal, {
          alerts: [cleared],
          truncatedAlerts: 0,
          notes: [`The ${input.alertname} alert is arriving again`],
          receivedAt: nowIso(),
          groupStatus: 'resolved',
        })
        .catch(() => undefined);
      silent = undefined;
    }
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof watchdogWorkflow>({ ...input, silentIncident: silent });
}
