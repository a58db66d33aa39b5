/**
 * What one workflow run costs Temporal, read from its history: workflow tasks, activities (regular and
 * local), timers, events and bytes. The cost test pins upper bounds on these; bench:scale prints them.
 */
import { temporal } from '@temporalio/proto';

const T = temporal.api.enums.v1.EventType;

export interface HistoryCost {
  events: number;
  bytes: number;
  workflowTasks: number;
  activities: number;
  localActivities: number;
  timersStarted: number;
  timersCancelled: number;
}

export function historyCost(history: temporal.api.history.v1.IHistory): HistoryCost {
  const events = history.events ?? [];
  const count = (type: temporal.api.enums.v1.EventType) => events.filter((e) => e.eventType === type).length;
  return {
    events: events.length,
    bytes: temporal.api.history.v1.History.encode(history).finish().length,
    workflowTasks: count(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    activities: count(T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    // Local activities leave a marker each (patch markers are markers too, without an activity type).
    localActivities: events.filter(
      (e) => e.eventType === T.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
    ).length,
    timersStarted: count(T.EVENT_TYPE_TIMER_STARTED),
    timersCancelled: count(T.EVENT_TYPE_TIMER_CANCELED),
  };
}
