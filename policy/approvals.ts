/** Who may name a commander whose approvals count, when a policy does not say (`runbooks.commanderAssigners`). */
export const DEFAULT_COMMANDER_ASSIGNERS = ['role:incident-commander', 'role:engineering-lead', 'role:devops-lead', 'role:database-admin'];
