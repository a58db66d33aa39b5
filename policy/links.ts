/**
 * Links in messages follow the deployment, not the policy file: `{publicUrl}` (where people reach the HTTP
 * server), `{temporalUi}` and `{namespace}` are filled in by the worker from its settings; `{id}` and
 * `{workflowId}` by the incident when it writes a message.
 */
import type { ResponsePolicy } from './schema';

export interface DeploymentLinks {
  /** PUBLIC_URL, else the address the HTTP server actually serves. */
  publicUrl: string;
  /** The Temporal Web UI, e.g. http://127.0.0.1:8233 */
  temporalUi: string;
  namespace: string;
}

export const DEFAULT_STATUS_PAGE_URL = '{publicUrl}/status/incidents/{id}';
export const DEFAULT_INCIDENT_PAGE_URL = '{temporalUi}/namespaces/{namespace}/workflows/{workflowId}';

const fill = (template: string, links: DeploymentLinks) =>
  template
    .split('{publicUrl}')
    .join(links.publicUrl.replace(/\/$/, ''))
    .split('{temporalUi}')
    .join(links.temporalUi.replace(/\/$/, ''))
    .split('{namespace}')
    .join(encodeURIComponent(links.namespace));

/** The policy with this deployment's addresses in its link templates. */
export function withDeploymentLinks(policy: ResponsePolicy, links: DeploymentLinks): ResponsePolicy {
  return {
    ...policy,
    statusPageUrl: fill(policy.statusPageUrl, links),
    incidentPageUrl: fill(policy.incidentPageUrl, links),
  };
}
