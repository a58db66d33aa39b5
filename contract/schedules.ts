/** Shift notices: one long-running workflow per schedule with `shiftNotice`, started by every worker (the same one). */
export const SHIFT_NOTICE_WORKFLOW_TYPE = 'shiftNoticeWorkflow';
export const shiftNoticeWorkflowId = (schedule: string) => `shift-notices-${schedule}`;

/** A request to take over someone's shift (`incidentctl swap`): once accepted it is an override. */
export interface ShiftSwap {
  /** S-n */
  id: string;
  schedule: string;
  /** The contact whose shift it is, and the one asked to take it. */
  requester: string;
  taker: string;
  from: string;
  to: string;
  reason?: string;
  status: 'pending' | 'accepted' | 'declined' | 'cancelled';
  createdBy: string;
  createdAt: string;
  decidedBy?: string;
  decidedAt?: string;
  /** The override it became (O-n), once accepted. */
  overrideId?: string;
}

/** `incidentctl swap …` as the store workflow receives it; `by`/`proof` say who asks (a proof makes it verified). */
export type SwapRequest = (
  | { op: 'request'; schedule: string; taker: string; from?: string; to?: string; at?: string; reason?: string }
  | { op: 'accept' | 'decline' | 'cancel'; id: string }
) & { by: string; proof?: import('./identity').ActorProof };

export const SWAP_WORKFLOW_TYPE = 'shiftSwapWorkflow';
