/**
 * `incidentctl swap`: one short workflow per request or answer. Asking mails the person asked; an
 * accepted swap is an override (written with the answer) and both people are told; a declined or
 * cancelled one tells the other. Each mail has its own message key, so a retried send is one mail.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ShiftSwap, SwapRequest } from '../contract';
import { storeRequestOptions } from './store-requests';
import { verifiedActor, type VerifyActivity } from './identity';
import { nowIso } from './clock';

const options = storeRequestOptions;
const acts = proxyActivities<ReturnType<typeof createActivities>>(options);

const DECISIONS = { accept: 'accepted', decline: 'declined', cancel: 'cancelled' } as const;

export async function shiftSwapWorkflow(request: SwapRequest | { op: 'list' }): Promise<ShiftSwap | ShiftSwap[]> {
  if (request.op === 'list') return acts.listSwaps({ at: nowIso() });
  const verify: VerifyActivity = (check) =>
    acts.verifyActor.executeWithOptions({ ...options, summary: `Verify who asks: ${check.proof.person}` }, [check]);
  const actor = await verifiedActor(verify, [], 'swap', request, '');
  const by = actor.via === 'unverified' ? request.by : `${actor.name} (${actor.via})`;
  // Who acts: the verified contact, or the name as written (checked against the policy's contacts).
  const person = actor.person ?? request.by;
  const { workflowId } = workflowInfo();

  let swap: ShiftSwap;
  if (request.op === 'request') {
    const { op: _op, by: _by, proof: _proof, ...asked } = request;
    swap = await acts.requestSwap({ ...asked, requester: person, by, requestId: workflowId });
  } else {
    swap = await acts.decideSwap({ id: request.id, decision: DECISIONS[request.op], actor: person, by });
  }

  const policy = await acts.currentPolicy();
  const name = (id: string) => policy.contacts.find((c) => c.id === id)?.name ?? id;
  const window = `${swap.schedule} from ${swap.from} to ${swap.to}`;
  const tell = (to: string, subject: string, body: string) => {
    const contact = policy.contacts.find((c) => c.id === to);
    if (!contact) return Promise.resolve();
    return acts.sendEmail.executeWithOptions({ ...options, summary: `Tell ${contact.name} of swap ${swap.id}` }, [
      { to: [{ name: contact.name, email: contact.email }], subject, body, messageKey: `swap:${swap.id}:${swap.status}:${to}` },
    ]);
  };
  if (swap.status === 'pending') {
    await tell(
      swap.taker,
      `Shift swap ${swap.id}: can you take ${name(swap.requester)}'s shift?`,
      `${name(swap.requester)} asks you to take their on-call shift on ${window}.${swap.reason ? `\n\nWhy: ${swap.reason}` : ''}\n\n` +
        `Accept: incidentctl swap accept ${swap.id}\nDecline: incidentctl swap decline ${swap.id}`,
    );
  } else if (swap.status === 'accepted') {
    const text = `${name(swap.taker)} is on call on ${window} in place of ${name(swap.requester)} (swap ${swap.id}, override ${swap.overrideId}).`;
    await Promise.all([
      tell(swap.requester, `Shift swap ${swap.id} accepted by ${name(swap.taker)}`, text),
      tell(swap.taker, `Shift swap ${swap.id}: you are on call on ${swap.schedule}`, text),
    ]);
  } else {
    const other = swap.status === 'declined' ? swap.requester : swap.taker;
    await tell(other, `Shift swap ${swap.id} ${swap.status}`, `Swap ${swap.id} (${window}) was ${swap.status} by ${swap.decidedBy}.`);
  }
  return swap;
}
