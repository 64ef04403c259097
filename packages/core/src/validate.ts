import type { DataType, Tensor } from '@tensorflow/tfjs-core';
import { PlasticityError, describeValue } from './errors.js';

// Validators throw PlasticityError naming the argument, the value and what was expected.
// They return the value so they can be used inline: `const tau = positive('tauMs', p.tauMs)`.

export function finite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new PlasticityError('E_PARAM', `${name} must be a finite number, got ${describeValue(value)}`);
  }
  return value;
}

export function positive(name: string, value: unknown): number {
  const v = finite(name, value);
  if (v <= 0) throw new PlasticityError('E_PARAM', `${name} must be > 0, got ${describeValue(value)}`);
  return v;
}

export function nonNegative(name: string, value: unknown): number {
  const v = finite(name, value);
  if (v < 0) throw new PlasticityError('E_PARAM', `${name} must be >= 0, got ${describeValue(value)}`);
  return v;
}

export function integer(name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new PlasticityError('E_PARAM', `${name} must be an integer, got ${describeValue(value)}`);
  }
  if (value < min || value > max) {
    throw new PlasticityError('E_PARAM', `${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** A number in [min, max] (inclusive unless `open` says which ends are excluded). */
export function inRange(name: string, value: unknown, min: number, max: number, open: { min?: boolean; max?: boolean } = {}): number {
  const v = finite(name, value);
  const lowOk = open.min ? v > min : v >= min;
  const highOk = open.max ? v < max : v <= max;
  if (!lowOk || !highOk) {
    const interval = `${open.min ? '(' : '['}${min}, ${max}${open.max ? ')' : ']'}`;
    throw new PlasticityError('E_PARAM', `${name} must be in ${interval}, got ${describeValue(value)}`);
  }
  return v;
}

export function probability(name: string, value: unknown): number {
  return inRange(name, value, 0, 1);
}

export function oneOf<const T extends readonly (string | number | boolean)[]>(name: string, value: unknown, allowed: T): T[number] {
  if (!allowed.includes(value as T[number])) {
    throw new PlasticityError('E_PARAM', `${name} must be one of ${allowed.map(describeValue).join(', ')}, got ${describeValue(value)}`);
  }
  return value as T[number];
}

/** Optional weight bounds: each finite when given, and wMin <= wMax. */
export function bounds(name: string, wMin: number | undefined, wMax: number | undefined): void {
  if (wMin !== undefined) finite(`${name}.wMin`, wMin);
  if (wMax !== undefined) finite(`${name}.wMax`, wMax);
  if (wMin !== undefined && wMax !== undefined && wMin > wMax) {
    throw new PlasticityError('E_PARAM', `${name}: wMin must be <= wMax, got wMin=${wMin} > wMax=${wMax}`);
  }
}

/** `expected` entries that are null match any size along that axis. */
export function shape(name: string, actual: readonly number[], expected: readonly (number | null)[]): void {
  const ok = actual.length === expected.length && expected.every((e, i) => e === null || e === actual[i]);
  if (!ok) {
    const want = `[${expected.map((e) => (e === null ? '*' : e)).join(', ')}]`;
    throw new PlasticityError('E_SHAPE', `${name} must have shape ${want}, got [${actual.join(', ')}]`);
  }
}

export function dtype(name: string, tensor: Tensor, allowed: readonly DataType[]): void {
  if (!allowed.includes(tensor.dtype)) {
    throw new PlasticityError('E_SHAPE', `${name} must have dtype ${allowed.join(' or ')}, got ${tensor.dtype}`);
  }
}

export function length(name: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new PlasticityError('E_SHAPE', `${name} must have length ${expected}, got ${actual}`);
  }
}

/** Every element finite (no NaN or ±Infinity); reports the first offending index. */
export function allFinite(name: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new PlasticityError('E_PARAM', `${name} must contain only finite numbers, got ${describeValue(values[i])} at index ${i}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Collecting checks for a plugin's validate(): each records a sentence naming the parameter, so every
// problem is reported at once (the throwing checks above stop at the first).

export class Problems {
  readonly list: string[] = [];

  /** Keeps `message` when `ok` is false. */
  add(ok: boolean, message: string): boolean {
    if (!ok) this.list.push(message);
    return ok;
  }

  finite(name: string, value: unknown): boolean {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.list.push(`${name} must be a finite number, got ${describeValue(value)}`);
      return false;
    }
    return true;
  }

  positive(name: string, value: unknown, what = 'a time constant'): void {
    if (this.finite(name, value) && (value as number) <= 0) {
      this.list.push(`${name} must be > 0 (${what}), got ${describeValue(value)}`);
    }
  }

  nonNegative(name: string, value: unknown): void {
    if (this.finite(name, value) && (value as number) < 0) {
      this.list.push(`${name} must be >= 0, got ${describeValue(value)}`);
    }
  }

  oneOf(name: string, value: unknown, allowed: readonly string[]): void {
    if (!allowed.includes(value as string)) {
      this.list.push(`${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describeValue(value)}`);
    }
  }

  /** Required finite bounds with wMin <= wMax. */
  bounds(wMin: unknown, wMax: unknown): void {
    const a = this.finite('wMin', wMin);
    const b = this.finite('wMax', wMax);
    if (a && b && (wMin as number) > (wMax as number)) {
      this.list.push(`wMin must be <= wMax, got wMin=${describeValue(wMin)} > wMax=${describeValue(wMax)}`);
    }
  }

  /** Optional bounds: null (no bound) or a finite number, and wMin <= wMax when both are set. */
  optionalBounds(wMin: unknown, wMax: unknown): void {
    const a = wMin === null || this.finite('wMin', wMin);
    const b = wMax === null || this.finite('wMax', wMax);
    if (a && b && wMin !== null && wMax !== null && (wMin as number) > (wMax as number)) {
      this.list.push(`wMin must be <= wMax, got wMin=${describeValue(wMin)} > wMax=${describeValue(wMax)}`);
    }
  }
}
