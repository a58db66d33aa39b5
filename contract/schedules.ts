/** Shift notices: one long-running workflow per schedule with `shiftNotice`, started by every worker (the same one). */
export const SHIFT_NOTICE_WORKFLOW_TYPE = 'shiftNoticeWorkflow';
export const shiftNoticeWorkflowId = (schedule: string) => `shift-notices-${schedule}`;
