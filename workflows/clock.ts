/** Workflow time: Date.now() in a workflow is the deterministic time of the current task. */
export const iso = (ms: number) => new Date(ms).toISOString();
export const nowIso = () => iso(Date.now());
