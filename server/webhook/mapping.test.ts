import { workflowIdForGroup } from './mapping';

test('an alert group’s workflow id reads as its alert name and stays a function of the group key alone', () => {
  const key = '{}/{severity="critical"}:{alertname="PostgresTooManyConnections"}';
  expect(workflowIdForGroup(key)).toMatch(/^alerts-postgres-too-many-connections-[0-9a-f]{40}$/);
  expect(workflowIdForGroup(key)).toBe(workflowIdForGroup(key));
  // Two routes grouping the same alert name are two groups: the hash keeps them apart.
  expect(workflowIdForGroup('{}/{team="db"}:{alertname="PostgresTooManyConnections"}')).not.toBe(workflowIdForGroup(key));
  // No alertname among the group labels: the first label's value; none at all: the hash alone.
  expect(workflowIdForGroup('{}:{group="g1"}')).toMatch(/^alerts-g1-[0-9a-f]{40}$/);
  expect(workflowIdForGroup('{}:{}')).toMatch(/^alerts-[0-9a-f]{40}$/);
  // Whatever the label holds, the id keeps to letters, digits and dashes.
  expect(workflowIdForGroup('{}:{alertname="Disk \\"/\\" 95% <full>"}')).toMatch(/^alerts-disk-95-full-[0-9a-f]{40}$/);
});
