// Every assignment of a payload to a target, by name (GET /v1/assignments).
import { useEffect, useState } from 'preact/hooks';
import type { Assignment, Page } from '../types';
import { LoadError, Loading, Table, useGet } from '../ui';
import { payloadNames, RESOURCE_KINDS, targetName, useGroupNames } from './Resources';

export function AssignmentsView() {
  const assignments = useGet<Page<Assignment>>('/v1/assignments', { limit: 1000 });
  const groups = useGroupNames();
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [namesError, setNamesError] = useState<unknown>(undefined);
  useEffect(() => {
    payloadNames().then(setNames, setNamesError);
  }, []);
  const pathOf = (payloadKind: string) => RESOURCE_KINDS.find((k) => k.payloadKind === payloadKind)?.path ?? '';
  return (
    <>
      <h1>Assignments</h1>
      <LoadError error={assignments.error ?? namesError} what="the assignments" />
      {!assignments.data && !assignments.error && <Loading what="the assignments" />}
      {assignments.data && (
        <Table
          caption="Assignments"
          rows={assignments.data.value}
          rowKey={(a) => a.id}
          columns={[
            { label: 'Kind', render: (a) => a.payloadKind },
            {
              label: 'Payload',
              render: (a) => (
                <a href={`/${pathOf(a.payloadKind)}/${encodeURIComponent(a.payloadId)}`}>
                  {names.get(`${a.payloadKind}:${a.payloadId}`) ?? a.payloadId}
                </a>
              ),
            },
            { label: 'Target', render: (a) => targetName(a.target, groups) },
            { label: 'Intent', render: (a) => a.intent ?? 'required' },
          ]}
        />
      )}
    </>
  );
}
