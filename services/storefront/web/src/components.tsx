import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/** A page's heading, focused when the page opens so a screen reader and the keyboard start there. */
export function Page(props: { title: string; children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Shopfront`;
    heading.current?.focus();
  }, [props.title]);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1} ref={heading}>
        {props.title}
      </h1>
      {props.children}
    </section>
  );
}

export interface FieldProps {
  /** The API's name of the field (`email`, `price.amount`, `items[0].quantity`); also the input's id. */
  readonly name: string;
  readonly label: string;
  readonly value: string;
  readonly onInput: (value: string) => void;
  readonly error?: string;
  readonly type?: 'text' | 'email' | 'password' | 'number';
  readonly autoComplete?: string;
  readonly inputMode?: 'numeric' | 'decimal' | 'email' | 'text';
  readonly hint?: string;
  readonly multiline?: boolean;
  /** Sets the input's id apart when two forms on one page name the same API field (`price.amount`). */
  readonly scope?: string;
}

export const fieldId = (name: string): string => `field-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

/** A labelled input with its error beside it, tied to it for assistive technology. */
export function Field(props: FieldProps) {
  const id = fieldId(props.scope ? `${props.scope}-${props.name}` : props.name);
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  const common = {
    id,
    name: props.name,
    value: props.value,
    'aria-invalid': props.error ? ('true' as const) : undefined,
    'aria-describedby': described || undefined,
    onInput: (e: Event) => props.onInput((e.currentTarget as HTMLInputElement).value),
  };
  return (
    <div class={props.error ? 'field field-invalid' : 'field'}>
      <label for={id}>{props.label}</label>
      {props.multiline ? (
        <textarea {...common} rows={3} />
      ) : (
        <input
          {...common}
          // Preact's typings narrow each input type's attributes; these four take the same ones.
          type={(props.type ?? 'text') as 'text'}
          autoComplete={props.autoComplete}
          inputMode={props.inputMode}
        />
      )}
      {props.hint && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="error" id={`${id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

/** A message announced when it appears: `alert` for what went wrong, `status` for what went right. */
export function Notice(props: { kind: 'error' | 'success' | 'info'; children: ComponentChildren }) {
  return (
    <div class={`notice notice-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}
