import type { Tensor } from '@tensorflow/tfjs-core';
import { fromConfig, type PluginConfig, type ResolvedConfig } from './config.js';
import { PlasticityError, describeValue } from './errors.js';
import type { JsonValue } from './plugin.js';
import { isJson, type Registry } from './registry.js';

/**
 * Portable checkpoint file:
 *   magic "PLSTCKPT" (8 bytes) | u32 format version | u32 manifest byte length | manifest (UTF-8 JSON)
 *   | zero padding to a multiple of 8 | array blob (little-endian, each array 8-byte aligned)
 *   | u32 CRC-32 of everything before it.
 * The manifest lists every array (name, dtype, shape, offset, length), the plugin configs and free JSON
 * data. Loading checks all of it before returning anything and never evaluates code.
 */
export const CHECKPOINT_VERSION = 1;
const MAGIC = 'PLSTCKPT';
const HEADER_BYTES = 16;

export type ArrayDtype = 'float32' | 'float64' | 'int32' | 'uint32' | 'int16' | 'uint16' | 'int8' | 'uint8';
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

const CTORS = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, uint32: Uint32Array,
  int16: Int16Array, uint16: Uint16Array, int8: Int8Array, uint8: Uint8Array,
} as const;

export interface CheckpointArray {
  readonly dtype: ArrayDtype;
  readonly shape: readonly number[];
  readonly data: TypedArray;
}

export interface CheckpointInput {
  /** Named arrays: typed arrays (1-D), { data, shape } or tensors (read back asynchronously). */
  readonly arrays?: Readonly<Record<string, TypedArray | Tensor | { data: TypedArray; shape: readonly number[] }>>;
  /** Named plugin configs (see toConfig); validated against the registry on load. */
  readonly configs?: Readonly<Record<string, PluginConfig>>;
  /** Any JSON: step counters, RNG state, structure metadata. */
  readonly data?: JsonValue;
}

export interface Checkpoint {
  readonly version: number;
  readonly arrays: Readonly<Record<string, CheckpointArray>>;
  readonly configs: Readonly<Record<string, ResolvedConfig>>;
  readonly rawConfigs: Readonly<Record<string, PluginConfig>>;
  readonly data: JsonValue;
}

interface ManifestArray { name: string; dtype: ArrayDtype; shape: number[]; offset: number; length: number }
interface Manifest { format: 'plasticity-checkpoint'; version: number; arrays: ManifestArray[]; configs: Record<string, PluginConfig>; data: JsonValue }

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let crcTable: Uint32Array | undefined;
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function dtypeOf(array: TypedArray): ArrayDtype {
  for (const [name, ctor] of Object.entries(CTORS)) if (array instanceof ctor) return name as ArrayDtype;
  throw new PlasticityError('E_CHECKPOINT', `unsupported array type ${describeValue(array)}`);
}

/** Bytes of `array` in little-endian order. */
function littleEndianBytes(array: TypedArray): Uint8Array {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  if (LITTLE_ENDIAN || array.BYTES_PER_ELEMENT === 1) return bytes;
  const swapped = new Uint8Array(bytes);
  const w = array.BYTES_PER_ELEMENT;
  for (let i = 0; i < swapped.length; i += w) swapped.subarray(i, i + w).reverse();
  return swapped;
}

async function toArrayEntry(name: string, value: unknown): Promise<CheckpointArray> {
  if (ArrayBuffer.isView(value)) {
    const data = value as TypedArray;
    return { dtype: dtypeOf(data), shape: [data.length], data };
  }
  if (value !== null && typeof value === 'object' && 'dataId' in value && 'shape' in value) {
    const tensor = value as Tensor;
    if (tensor.isDisposed) throw new PlasticityError('E_CHECKPOINT', `array '${name}' is a disposed tensor`);
    if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32' && tensor.dtype !== 'bool') {
      throw new PlasticityError('E_CHECKPOINT', `array '${name}': tensors of dtype ${tensor.dtype} cannot be saved`);
    }
    const data = (await tensor.data()) as TypedArray;
    return { dtype: dtypeOf(data), shape: [...tensor.shape], data };
  }
  if (value !== null && typeof value === 'object' && 'data' in value && 'shape' in value) {
    const { data, shape } = value as { data: TypedArray; shape: number[] };
    const size = shape.reduce((a, b) => a * b, 1);
    if (!ArrayBuffer.isView(data) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0) || size !== data.length) {
      throw new PlasticityError('E_CHECKPOINT', `array '${name}': shape [${shape.join(', ')}] does not match ${describeValue(data)}`);
    }
    return { dtype: dtypeOf(data), shape: [...shape], data };
  }
  throw new PlasticityError('E_CHECKPOINT', `array '${name}' must be a typed array, a tensor or { data, shape }, got ${describeValue(value)}`);
}

/** Serialises arrays, plugin configs and JSON data into one portable file. */
export async function saveCheckpoint(input: CheckpointInput): Promise<Uint8Array> {
  const entries: [string, CheckpointArray][] = [];
  for (const [name, value] of Object.entries(input.arrays ?? {})) entries.push([name, await toArrayEntry(name, value)]);
  const data = input.data ?? null;
  if (!isJson(data)) throw new PlasticityError('E_CHECKPOINT', 'data must be JSON (no functions, NaN, undefined or class instances)');
  const configs = input.configs ?? {};
  if (!isJson(configs)) throw new PlasticityError('E_CHECKPOINT', 'configs must be JSON plugin configs (see toConfig)');

  let offset = 0;
  const arrays: ManifestArray[] = entries.map(([name, a]) => {
    const entry = { name, dtype: a.dtype, shape: [...a.shape], offset, length: a.data.byteLength };
    offset += Math.ceil(a.data.byteLength / 8) * 8;
    return entry;
  });
  const manifest: Manifest = { format: 'plasticity-checkpoint', version: CHECKPOINT_VERSION, arrays, configs, data };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  const blobStart = Math.ceil((HEADER_BYTES + manifestBytes.length) / 8) * 8;
  const out = new Uint8Array(blobStart + offset + 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, manifestBytes.length, true);
  out.set(manifestBytes, HEADER_BYTES);
  entries.forEach(([, a], i) => out.set(littleEndianBytes(a.data), blobStart + arrays[i]!.offset));
  view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

function fail(message: string): never {
  throw new PlasticityError('E_CHECKPOINT', message);
}

/**
 * Reads a checkpoint, validating structure, checksum, arrays and plugin configs; nothing partial is returned.
 * `input` is the file's bytes: a Uint8Array (a view at any offset, a Node Buffer from fs.readFileSync) or an
 * ArrayBuffer. Every returned array is a copy that owns exactly its own bytes.
 */
export function loadCheckpoint(input: Uint8Array | ArrayBuffer, registry: Registry): Checkpoint {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  if (!(bytes instanceof Uint8Array)) fail(`checkpoint must be a Uint8Array or an ArrayBuffer, got ${describeValue(input)}`);
  if (bytes.length < HEADER_BYTES + 4) fail(`file too short (${bytes.length} bytes) to be a checkpoint`);
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) fail('not a plasticity checkpoint (bad magic bytes)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) fail(`checkpoint format version ${version} is not supported (this library reads version ${CHECKPOINT_VERSION})`);
  const manifestLength = view.getUint32(12, true);
  const blobStart = Math.ceil((HEADER_BYTES + manifestLength) / 8) * 8;
  if (blobStart + 4 > bytes.length) fail(`truncated: manifest length ${manifestLength} exceeds the file size ${bytes.length}`);
  const stored = view.getUint32(bytes.length - 4, true);
  const actual = crc32(bytes.subarray(0, bytes.length - 4));
  if (stored !== actual) fail(`checksum mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)}): the file is truncated or corrupted`);

  let manifest: Manifest;
  try {
    manifest = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + manifestLength)));
  } catch (error) {
    fail(`manifest is not valid JSON: ${(error as Error).message}`);
  }
  if (manifest === null || typeof manifest !== 'object' || manifest.format !== 'plasticity-checkpoint') fail('manifest is not a plasticity checkpoint manifest');
  if (manifest.version !== version) fail(`manifest version ${describeValue(manifest.version)} does not match header version ${version}`);
  if (!Array.isArray(manifest.arrays)) fail('manifest.arrays must be a list');
  if (manifest.configs === null || typeof manifest.configs !== 'object' || Array.isArray(manifest.configs)) fail('manifest.configs must be an object');

  const blobLength = bytes.length - 4 - blobStart;
  const arrays: Record<string, CheckpointArray> = {};
  for (const entry of manifest.arrays) {
    const { name, dtype, shape, offset, length } = (entry ?? {}) as ManifestArray;
    if (typeof name !== 'string' || name in arrays) fail(`array name ${describeValue(name)} is missing or repeated`);
    if (!Object.hasOwn(CTORS, dtype)) fail(`array '${name}' has unknown dtype ${describeValue(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`array '${name}' has an invalid shape ${describeValue(shape)}`);
    const ctor = CTORS[dtype];
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset % 8 !== 0 || length !== count * ctor.BYTES_PER_ELEMENT || offset + length > blobLength) {
      fail(`array '${name}' (offset ${describeValue(offset)}, ${describeValue(length)} bytes, shape [${shape.join(', ')}]) does not fit the data`);
    }
    // Copy into a buffer of its own: Buffer#slice is a view (of Node's shared pool for small files), and a
    // view's .buffer spans more than the array.
    const copy = new Uint8Array(length);
    copy.set(bytes.subarray(blobStart + offset, blobStart + offset + length));
    if (!LITTLE_ENDIAN && ctor.BYTES_PER_ELEMENT > 1) {
      for (let i = 0; i < copy.length; i += ctor.BYTES_PER_ELEMENT) copy.subarray(i, i + ctor.BYTES_PER_ELEMENT).reverse();
    }
    arrays[name] = { dtype, shape, data: new ctor(copy.buffer) };
  }

  const configs: Record<string, ResolvedConfig> = {};
  for (const [name, config] of Object.entries(manifest.configs)) {
    try {
      configs[name] = fromConfig(registry, config);
    } catch (error) {
      fail(`config '${name}' is invalid: ${(error as Error).message}`);
    }
  }
  return { version, arrays, configs, rawConfigs: manifest.configs, data: manifest.data ?? null };
}
