/** Builds DOM nodes from text only (never innerHTML): nothing a server or user sent can become markup. */
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | ((event: Event) => void)> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== false) el.setAttribute(name, value);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child);
  return el;
}

let nextId = 0;

/** A labelled input; `hint` is read out with it (aria-describedby). */
export function field(label: string, input: Record<string, string | boolean>, hint?: string): HTMLElement {
  const id = `f${++nextId}`;
  const hintId = hint ? `${id}-hint` : undefined;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h('input', { id, ...(hintId ? { 'aria-describedby': hintId } : {}), ...input }),
    hint && hintId ? h('small', { id: hintId }, hint) : null,
  );
}

/**
 * A form whose submit runs `action`; while it runs the button is disabled, and its failure is shown
 * in words in the form's own live region (role=alert), which screen readers announce.
 */
export function form(
  title: string,
  fields: HTMLElement[],
  submit: string,
  action: (data: FormData) => Promise<void>,
  describe: (err: unknown) => string,
): HTMLFormElement {
  const error = h('p', { class: 'error', role: 'alert' });
  const button = h('button', { type: 'submit' }, submit);
  const headingId = `h${++nextId}`;
  const el = h('form', { 'aria-labelledby': headingId, novalidate: true }, h('h2', { id: headingId }, title), ...fields, error, button);
  el.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    button.disabled = true;
    el.setAttribute('aria-busy', 'true');
    action(new FormData(el))
      .catch((err: unknown) => {
        error.textContent = describe(err);
        const first = el.querySelector('input');
        first?.setAttribute('aria-invalid', 'true');
      })
      .finally(() => {
        button.disabled = false;
        el.removeAttribute('aria-busy');
      });
  });
  return el;
}

export function text(data: FormData, name: string): string {
  return String(data.get(name) ?? '');
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
