// Trigger a run: a form generated from the pipeline's params schema, checked as you type with the schema's
// rules; the API validates again with the real zod schema and its 422 message is shown as is.
import { useMemo, useState, type FormEvent } from "react";
import { api, ApiFailure } from "../api";
import { useLoad } from "../hooks";
import { navigate, paths } from "../router";
import { fieldsOf, initialText, parseField, type Field } from "./schema-form";
import { Dialog, ErrorBox, Loading } from "./ui";

export function TriggerDialog({ pipelineId, onClose }: { pipelineId: string; onClose: () => void }) {
  const detail = useLoad(() => api.pipeline(pipelineId), [pipelineId]);
  return (
    <Dialog title={`Trigger ${pipelineId}`} onClose={onClose}>
      <ErrorBox error={detail.error} />
      {detail.data ? <TriggerForm pipelineId={pipelineId} fields={fieldsOf(detail.data.paramsSchema)} onClose={onClose} /> : detail.error ? null : <Loading />}
    </Dialog>
  );
}

function TriggerForm({ pipelineId, fields, onClose }: { pipelineId: string; fields: Field[]; onClose: () => void }) {
  const [texts, setTexts] = useState<Record<string, string>>(() => Object.fromEntries(fields.map((f) => [f.name, initialText(f)])));
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [logicalDate, setLogicalDate] = useState("");
  const [submitting, setSubmitting] = useState(false);
  const [serverError, setServerError] = useState<ApiFailure | Error | null>(null);

  const parsed = useMemo(() => Object.fromEntries(fields.map((f) => [f.name, parseField(f, texts[f.name] ?? "")])), [fields, texts]);
  const invalid = Object.values(parsed).some((p) => !p.ok);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(new Set(fields.map((f) => f.name)));
    if (invalid) return;
    const params: Record<string, unknown> = {};
    for (const [name, result] of Object.entries(parsed)) if (result.ok && !result.omit) params[name] = result.value;
    setSubmitting(true);
    setServerError(null);
    try {
      const run = await api.trigger(pipelineId, { params, ...(logicalDate ? { logicalDate: new Date(logicalDate).toISOString() } : {}) });
      onClose();
      navigate(paths.run(run.id));
    } catch (error) {
      setServerError(error instanceof Error ? error : new Error(String(error)));
      setSubmitting(false);
    }
  };

  const serverWhere = serverError instanceof ApiFailure ? serverError.where : undefined;
  const serverField = serverWhere ? String(serverWhere.param ?? serverWhere.field ?? serverWhere.path ?? "") : "";

  return (
    <form className="form" onSubmit={(e) => void submit(e)} noValidate>
      {fields.length === 0 ? <p className="muted">This pipeline takes no params.</p> : null}
      {fields.map((field) => {
        const result = parsed[field.name];
        const showError = touched.has(field.name) && result && !result.ok;
        const serverHere = serverField !== "" && (serverField === field.name || serverField.startsWith(`${field.name}.`));
        return (
          <div className={showError || serverHere ? "field invalid" : "field"} key={field.name}>
            <label htmlFor={`param-${field.name}`}>
              {field.name}
              {field.required && !field.nullable ? <span className="required"> *</span> : null}
              <span className="field-type">{describeType(field)}</span>
            </label>
            <FieldControl
              field={field}
              text={texts[field.name] ?? ""}
              onChange={(text) => {
                setTexts((t) => ({ ...t, [field.name]: text }));
                setTouched((s) => new Set(s).add(field.name));
              }}
            />
            {field.description ? <div className="hint">{field.description}</div> : null}
            {showError && result && !result.ok ? (
              <div className="field-error" role="alert">
                {field.name} {result.message}
              </div>
            ) : null}
          </div>
        );
      })}
      <details className="field advanced">
        <summary>Logical date (optional)</summary>
        <input id="logical-date" type="datetime-local" value={logicalDate} onChange={(e) => setLogicalDate(e.target.value)} aria-label="Logical date" />
        <div className="hint">Defaults to now. Manual runs do not affect the schedule.</div>
      </details>
      {serverError ? <ErrorBox error={serverError} title={serverError instanceof ApiFailure && serverError.status === 422 ? "Rejected" : "Could not trigger"} /> : null}
      <div className="form-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="button primary" disabled={submitting || (invalid && touched.size > 0)}>
          {submitting ? "Triggering…" : "Trigger run"}
        </button>
      </div>
    </form>
  );
}

function describeType(field: Field): string {
  const s = field.schema;
  const bounds: string[] = [];
  if (s.minimum !== undefined) bounds.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) bounds.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) bounds.push(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) bounds.push(`< ${s.exclusiveMaximum}`);
  const kind = field.kind === "list" ? "list, comma-separated" : field.kind === "enum" ? "choice" : field.kind;
  return [kind, ...bounds, field.nullable ? "or empty" : ""].filter(Boolean).join(" ");
}

function FieldControl({ field, text, onChange }: { field: Field; text: string; onChange: (text: string) => void }) {
  const id = `param-${field.name}`;
  switch (field.kind) {
    case "boolean":
      return (
        <label className="checkbox">
          <input id={id} type="checkbox" checked={text === "true"} onChange={(e) => onChange(e.target.checked ? "true" : "false")} /> {text === "true" ? "yes" : "no"}
        </label>
      );
    case "enum":
      return (
        <select id={id} value={text} onChange={(e) => onChange(e.target.value)}>
          {!field.hasDefault ? <option value="">{field.required ? "Choose…" : "(default)"}</option> : null}
          {field.options.map((o) => (
            <option key={String(o)} value={String(o)}>
              {String(o)}
            </option>
          ))}
        </select>
      );
    case "number":
    case "integer":
      return <input id={id} type="text" inputMode="decimal" value={text} onChange={(e) => onChange(e.target.value)} placeholder={field.hasDefault ? String(field.defaultValue) : ""} />;
    case "json":
      return <textarea id={id} rows={4} value={text} spellCheck={false} onChange={(e) => onChange(e.target.value)} placeholder="JSON" />;
    default:
      return <input id={id} type={field.schema.format === "date" ? "date" : "text"} value={text} onChange={(e) => onChange(e.target.value)} />;
  }
}
