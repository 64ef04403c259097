// Small DOM helpers: elements, parameter controls, key-value readouts.

type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

export interface NumberControl {
  readonly kind?: 'number';
  readonly label: string;
  readonly value: number;
  readonly min?: number;
  readonly max?: number;
  readonly step?: number;
  readonly title?: string;
}
export interface ChoiceControl {
  readonly kind: 'choice';
  readonly label: string;
  readonly value: string;
  readonly options: readonly string[];
  readonly title?: string;
}
export type ControlSpec = NumberControl | ChoiceControl;
type ValueOf<C> = C extends ChoiceControl ? string : number;

/**
 * A row of labelled inputs; `values()` reads them (numbers clamped to their range). `onChange` runs
 * when any input changes (pages reset their model then).
 */
export function controls<S extends Record<string, ControlSpec>>(specs: S, onChange?: () => void): {
  element: HTMLElement;
  values(): { [K in keyof S]: ValueOf<S[K]> };
  set(name: keyof S, value: number | string): void;
} {
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const element = el('div', { class: 'controls' });
  for (const [name, spec] of Object.entries(specs)) {
    let input: HTMLInputElement | HTMLSelectElement;
    if (spec.kind === 'choice') {
      input = el('select', { name }, ...spec.options.map((o) => el('option', { value: o }, o)));
      input.value = spec.value;
    } else {
      input = el('input', { type: 'number', name, value: String(spec.value) });
      if (spec.min !== undefined) input.min = String(spec.min);
      if (spec.max !== undefined) input.max = String(spec.max);
      input.step = String(spec.step ?? 'any');
    }
    if (onChange) input.addEventListener('change', onChange);
    inputs.set(name, input);
    element.append(el('label', spec.title ? { title: spec.title } : {}, el('span', {}, spec.label), input));
  }
  return {
    element,
    values() {
      const out: Record<string, number | string> = {};
      for (const [name, spec] of Object.entries(specs)) {
        const raw = inputs.get(name)!.value;
        if (spec.kind === 'choice') out[name] = raw;
        else {
          let v = Number(raw);
          if (!Number.isFinite(v)) v = spec.value;
          if (spec.min !== undefined) v = Math.max(spec.min, v);
          if (spec.max !== undefined) v = Math.min(spec.max, v);
          out[name] = v;
        }
      }
      return out as { [K in keyof S]: ValueOf<S[K]> };
    },
    set(name, value) {
      inputs.get(name as string)!.value = String(value);
    },
  };
}

/** A list of labelled values updated in place (`set('rate', '24.1 Hz')`); keys become data-key attributes. */
export function readout(): { element: HTMLElement; set(key: string, value: string): void } {
  const element = el('dl', { class: 'readout' });
  const cells = new Map<string, HTMLElement>();
  return {
    element,
    set(key, value) {
      let cell = cells.get(key);
      if (!cell) {
        cell = el('dd', { 'data-key': key });
        element.append(el('dt', {}, key), cell);
        cells.set(key, cell);
      }
      cell.textContent = value;
    },
  };
}

/** A titled panel for one plot, with a caption under it. */
export function panel(title: string, caption?: string): { element: HTMLElement; body: HTMLElement } {
  const body = el('div', { class: 'plot' });
  const element = el('section', { class: 'panel' }, el('h3', {}, title), body, caption ? el('p', { class: 'caption' }, caption) : null);
  return { element, body };
}

/** Formats a count per second: 1.23e6 → "1.23 M/s". */
export function perSecond(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const units: [number, string][] = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [f, u] of units) if (x >= f) return `${(x / f).toFixed(2)} ${u}/s`;
  return `${x.toFixed(0)} /s`;
}
