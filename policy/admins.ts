import { DEFAULT_ADMINS } from '../contract/identity';
import type { ResponsePolicy } from './schema';

type Contact = ResponsePolicy['contacts'][number];
const holds = (target: string, c: Contact) => (target.startsWith('role:') ? c.roles.includes(target.slice(5)) : c.id === target);

/** The contacts the policy's `identity.admins` names (by id or role). */
export function adminIds(policy: ResponsePolicy): string[] {
  const admins = policy.identity?.admins ?? DEFAULT_ADMINS;
  return policy.contacts.filter((c) => admins.some((t) => holds(t, c))).map((c) => c.id);
}

export const isAdmin = (policy: ResponsePolicy, person: string) => adminIds(policy).includes(person);
