/** Stable error codes; programs may switch on `error.code`, the message is for people. */
export type ErrorCode = 'E_SHAPE' | 'E_PARAM' | 'E_FORMAT' | 'E_BACKEND' | 'E_REGISTRY' | 'E_CHECKPOINT';

export const ERROR_CODES: readonly ErrorCode[] = ['E_SHAPE', 'E_PARAM', 'E_FORMAT', 'E_BACKEND', 'E_REGISTRY', 'E_CHECKPOINT'];

/**
 * The one error type of the library. Every public function validates its input before it changes
 * anything, so a thrown PlasticityError means no weights, traces, registry entries or files changed.
 */
export class PlasticityError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'PlasticityError';
    this.code = code;
  }
}

export function isPlasticityError(error: unknown, code?: ErrorCode): error is PlasticityError {
  return error instanceof PlasticityError && (code === undefined || error.code === code);
}

/** Short printable form of a value for error messages (never the whole of a large array). */
export function describeValue(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined || typeof value === 'boolean') return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as ArrayLike<number>).length})`;
  if (Array.isArray(value)) return value.length <= 8 ? `[${value.map(describeValue).join(', ')}]` : `Array(${value.length})`;
  if (typeof value === 'object' && 'shape' in (value as object) && 'dtype' in (value as object)) {
    const t = value as { shape: number[]; dtype: string };
    return `Tensor(${t.dtype}, [${t.shape.join(', ')}])`;
  }
  if (typeof value === 'function') return 'a function';
  try {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return typeof value;
  }
}
