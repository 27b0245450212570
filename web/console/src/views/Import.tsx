// Import: a registration CSV dropped or chosen, checked with a dry run (per-row results with
// Microsoft's error names, nothing stored), then imported (POST /v1/autopilotDevices/import).
import { useState } from 'preact/hooks';
import { errorText, idempotencyKey, request } from '../api';
import type { ImportResult } from '../types';
import { StateBadge, Table, useAction } from '../ui';

export function ImportView() {
  // The chosen file's bytes, read when chosen: the import sends what the dry run checked, and a
  // file changed on disk since (fixed, then chosen again) cannot fail to read.
  const [file, setFile] = useState<{ name: string; size: number; bytes: Blob } | null>(null);
  const [dragging, setDragging] = useState(false);
  const [result, setResult] = useState<{ dryRun: boolean; answer: ImportResult } | null>(null);
  const action = useAction(async (dryRun: boolean) => {
    if (!file) throw new Error('Choose a registration CSV first.');
    setResult(null);
    const answer = await request<ImportResult>('POST', '/v1/autopilotDevices/import', {
      query: dryRun ? { dryRun: true } : undefined,
      body: file.bytes,
      contentType: 'text/csv',
      headers: dryRun ? {} : idempotencyKey(),
    });
    setResult({ dryRun, answer });
  });
  const choose = async (chosen: File | undefined, input?: HTMLInputElement) => {
    setResult(null);
    action.setError(undefined);
    if (input) input.value = ''; // choosing the same file again (fixed) is a change too
    if (!chosen) return setFile(null);
    try {
      const bytes = new Blob([await chosen.arrayBuffer()], { type: 'text/csv' });
      setFile({ name: chosen.name, size: chosen.size, bytes });
    } catch {
      setFile(null);
      action.setError(new Error(`${chosen.name} cannot be read: choose it again.`));
    }
  };
  const failed = result?.answer.rows.filter((r) => r.status === 'failed').length ?? 0;
  return (
    <>
      <h1>Import devices</h1>
      <p>
        A registration CSV as Windows Autopilot takes it (Device Serial Number, Windows Product ID, Hardware Hash, Group
        Tag, Assigned User). Check it first: nothing is stored until you import, and an import stores every row or none.
      </p>
      <div
        class={`drop${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          void choose(e.dataTransfer?.files[0]);
        }}
      >
        <label for="csv-file">Registration CSV</label>
        <input id="csv-file" type="file" accept=".csv,text/csv" onChange={(e) => void choose(e.currentTarget.files?.[0], e.currentTarget)} />
        <p class="muted">or drop the file here</p>
        {file && (
          <p>
            Chosen: <strong>{file.name}</strong> ({Math.ceil(file.size / 1024)} KiB)
          </p>
        )}
      </div>
      <div class="actions">
        <button type="button" class="primary" disabled={!file || action.busy} onClick={() => void action.run(true)}>
          Check (dry run)
        </button>
        <button type="button" disabled={!file || action.busy} onClick={() => void action.run(false)}>
          Import
        </button>
      </div>
      {action.error ? (
        <p class="error" role="alert">
          {errorText(action.error)}
        </p>
      ) : null}
      {result && (
        <section aria-labelledby="import-result-title">
          <h2 id="import-result-title">{result.dryRun ? 'Dry run: what the import would do' : 'Import result'}</h2>
          <p role="status">
            {result.dryRun
              ? failed
                ? `${failed} of ${result.answer.rows.length} rows would fail: nothing would be imported. Fix the file and check again.`
                : `All ${result.answer.rows.length} rows are valid. Nothing was stored: press Import.`
              : result.answer.imported
                ? `${result.answer.imported} devices imported.`
                : `Nothing was imported: ${failed} rows failed.`}
          </p>
          <Table
            caption="Rows"
            rows={result.answer.rows}
            rowKey={(r) => String(r.row)}
            columns={[
              { label: 'Row', render: (r) => r.row },
              { label: 'Serial number', render: (r) => r.serialNumber || '-' },
              { label: 'Status', render: (r) => <StateBadge state={r.status} /> },
              { label: 'Error', render: (r) => (r.error ? <code>{r.error.code}</code> : '-') },
              { label: 'Column', render: (r) => r.error?.column ?? '-' },
              { label: 'Message', render: (r) => r.error?.message ?? '-' },
            ]}
          />
        </section>
      )}
    </>
  );
}
