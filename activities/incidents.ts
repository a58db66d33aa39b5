/**
 * An incident's store work and checks: its opening (policy, number, who is on call, who declared),
 * its syncs, proofs of who acts, the inbox, runbook evidence.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { proofProblem } from '../security/identity';
import type { OnCallStore } from '../store/oncall-store';
import {
  ErrorType,
  type ActorProof,
  type EvidenceRecord,
  type InboxMessage,
  type IncidentSnapshot,
  type OpenedIncident,
  type RegisterIncidentInput,
  type StepPlan,
  type StepResult,
  type VerifiedActor,
} from '../contract';
import { parsePolicy } from '../policy/load';
import { withDeploymentLinks } from '../policy/links';
import type { ResponsePolicy } from '../policy/schema';
import { incidentPolicy, routeService, scheduleOf } from '../policy/teams';
import { EvidenceStore } from '../store/evidence-store';
import { InboxStore } from '../store/inbox-store';
import { MaintenanceStore } from '../store/maintenance-store';
import { businessHoursAt } from '../policy/business-hours';
import type { ActivityDeps, ProofCheck } from './deps';

/** The owning team of a new incident: its service (and team, if named) checked against the policy. */
function routingOf(policy: ResponsePolicy, input: { registration: RegisterIncidentInput; team?: string; routedBy?: string }) {
  const routed = routeService(policy, input.registration.service, input.team);
  const teamName = policy.teams.find((t) => t.id === routed.team)?.name ?? routed.team;
  const by = input.routedBy && routed.via !== 'default' ? `, by ${input.routedBy}` : '';
  return { ...routed, teamName, via: `${routed.via}${by}` };
}

export function createIncidentActivities(deps: ActivityDeps, oncall: OnCallStore) {
  const evidence = new EvidenceStore(deps.store.pool);
  const maintenanceWindows = new MaintenanceStore(deps.store.pool);
  const inbox = new InboxStore(deps.store.pool);

  /** A policy that arrived in a workflow's input, checked with every rule a policy file is checked with. */
  const checkInputPolicy = (snapshot: unknown): { parsed: ResponsePolicy } | { problem: string } => {
    try {
      const parsed = parsePolicy(snapshot, "the incident's input");
      return { parsed: deps.links ? withDeploymentLinks(parsed, deps.links) : parsed };
    } catch (error) {
      return { problem: (error as Error).message };
    }
  };

  /** The verified person of a proof, or why it does not hold. */
  const checkProof = (input: ProofCheck): VerifiedActor | { problem: string } => {
    if (!deps.identitySecret) return { problem: 'this worker checks no proofs of identity (IDENTITY_SECRET is not set)' };
    const problem = proofProblem(deps.identitySecret, input.proof, input);
    if (problem) return { problem };
    // An integration (the HTTP server checked its key) may acknowledge, as itself: the name it signed.
    if (input.proof.person.startsWith('integration:')) {
      const by = (input.args as { by?: unknown }).by;
      if (input.proof.via !== 'integration' || input.action !== 'acknowledge' || typeof by !== 'string')
        return { problem: 'an integration may only acknowledge' };
      return { person: input.proof.person, name: by, via: 'integration' };
    }
    const contact = deps.policy.contacts.find((c) => c.id === input.proof.person);
    if (!contact) return { problem: `${input.proof.person} is not a contact in the policy` };
    return { person: contact.id, name: contact.name, via: input.proof.via };
  };

  return {
    /**
     * Who a proof says acts, once it checks out against this worker's secret, the action, the workflow
     * and the arguments. The secret never enters a workflow, so it is in no history.
     */
    verifyActor(input: ProofCheck): Promise<VerifiedActor> {
      const checked = checkProof(input);
      if ('problem' in checked) throw ApplicationFailure.nonRetryable(`not done: ${checked.problem}`, ErrorType.IdentityRejected);
      return Promise.resolve(checked);
    },

    /** What was sent or kept (incidentctl inbox), newest first. */
    inboxMessages(filter: { recipient?: string; incidentId?: string; limit: number }): Promise<InboxMessage[]> {
      return inbox.messages({ ...filter, limit: Math.min(Math.max(filter.limit, 1), 500) });
    },

    currentPolicy(): Promise<ResponsePolicy> {
      return Promise.resolve(deps.policy);
    },

    /**
     * A policy that arrived in a workflow's input, checked with every rule a policy file is checked with.
     * Anyone who can start a workflow could have written it: a bad one is replaced by this worker's own.
     */
    checkPolicy(snapshot: unknown): Promise<{ problem?: string; policy?: ResponsePolicy }> {
      const checked = checkInputPolicy(snapshot);
      return Promise.resolve('problem' in checked ? { problem: checked.problem, policy: deps.policy } : {});
    },

    async syncIncident(snapshot: IncidentSnapshot): Promise<void> {
      await deps.store.sync(snapshot);
    },

    /**
     * An incident's first step, in one local activity: the policy (the input's, checked, or this
     * worker's), the incident's number, and who is on call at `onCallAt` (now) for the first page.
     */
    async openIncident(input: {
      policy?: unknown;
      registration: RegisterIncidentInput;
      onCallAt: string;
      /** The team the alert's labels or the declaration named, and how the labels chose the service. */
      team?: string;
      routedBy?: string;
      /** A declaration through the HTTP server: who declared, proven for this workflow and these arguments. */
      declared?: { proof: ActorProof; args: object };
    }): Promise<OpenedIncident> {
      const checked = input.policy === undefined ? undefined : checkInputPolicy(input.policy);
      const problem = checked && 'problem' in checked ? checked.problem : undefined;
      const policy = checked && 'parsed' in checked ? checked.parsed : deps.policy;
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
      const proven = input.declared && checkProof({ ...input.declared, action: 'declare', workflowId, incidentId: '' });
      const declared: Pick<OpenedIncident, 'declared' | 'declaredProblem'> =
        proven && 'problem' in proven ? { declaredProblem: proven.problem } : proven ? { declared: proven } : {};
      const declarer = declared.declared;
      const routing = policy.teams.length ? routingOf(policy, input) : undefined;
      const registration = {
        ...input.registration,
        ...(declarer ? { declaredBy: declarer.name } : {}),
        ...(routing ? { team: routing.team } : {}),
      };
      const number = await deps.store.register(registration);
      const openedAt = Date.parse(input.onCallAt);
      // Within the team's business hours or not, decided once here (zone rules are not workflow code's).
      const hours = routing && businessHoursAt(policy, routing.team, openedAt);
      // Who the first level pages: the team's schedule when it names one, else the single rotation.
      const schedule =
        routing &&
        incidentPolicy(policy, routing, hours?.inside ?? true)
          .escalation.levels[0]!.targets.map((t) => scheduleOf(policy, t))
          .find(Boolean);
      const onCall = schedule
        ? await oncall.whoOnSchedule(schedule, openedAt)
        : (await oncall.whoAt({ oncall: policy.oncall }, openedAt)).now;
      // Alerts of a service in maintenance page nobody: the workflow records them and closes.
      const maintenance = await maintenanceWindows.activeFor(input.registration.service, openedAt);
      // The policy travels back only when the input had none or a refused one: history holds it once.
      return {
        number,
        onCall,
        ...(input.policy === undefined || problem ? { policy } : { identity: deps.policy.identity }),
        ...(problem ? { problem } : {}),
        ...(Object.keys(deps.chat ?? {}).length ? { chat: true } : {}),
        ...declared,
        ...(routing
          ? {
              routing: {
                team: routing.team,
                teamName: routing.teamName,
                via: routing.via,
                ...(routing.note ? { note: routing.note } : {}),
              },
            }
          : {}),
        ...(schedule ? { onCallTarget: `schedule:${schedule.id}` } : {}),
        ...(maintenance ? { maintenance } : {}),
        ...(hours ? { businessHours: { inside: hours.inside, until: new Date(hours.until).toISOString(), text: hours.text } } : {}),
      };
    },

    /** A runbook step's result, written by the store's worker (runbook hosts need no store credentials). */
    recordEvidence(input: { incidentNumber: number; plan: StepPlan; approvedBy?: string; result: StepResult }): Promise<number> {
      return evidence.record(input);
    },

    listEvidence(input: { incidentId: string }): Promise<EvidenceRecord[]> {
      return evidence.list(input.incidentId);
    },
  };
}
